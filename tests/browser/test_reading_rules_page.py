"""In a real browser: an admin adds a must-catch phrase on the Reading rules page, and writes a
survey's Spanish SMS text seeing what it costs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.db import db
from tests.browser.conftest import Tab
from tests.factories import DEFAULT_STAFF_PASSWORD, make_staff_user
from tests.integration.test_staff_work import make_survey

pytestmark = pytest.mark.browser


def _admin() -> None:
    with db.session() as session:
        make_staff_user(session, role="admin", email="admin@example.com")


def test_reading_rules_page_adds_a_phrase_and_shows_a_bad_one_next_to_its_field(tab: Tab) -> None:
    _admin()
    tab.sign_in("admin@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    page.get_by_role("link", name="Reading rules").click()
    expect(page.get_by_role("heading", name="Reading rules", level=1)).to_be_visible()
    expect(page.get_by_role("cell", name="weapon")).to_be_visible()  # rules.toml, read-only

    page.get_by_label("Phrase").fill("black mold (behind")
    page.get_by_role("button", name="Add phrase").click()
    phrase = page.get_by_label("Phrase")
    expect(phrase).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#mustcatch-phrase-error")).to_contain_text("does not compile")

    phrase.fill("black mold")
    page.get_by_label("Look-alikes that must not fire it (one a line, optional)").fill(
        "black mold remover"
    )
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Add phrase").click()
    expect(page.get_by_role("status")).to_contain_text("reads every reply from now on")
    row = page.get_by_role("row").filter(has_text="black mold remover")
    expect(row).to_contain_text("In force")
    row.get_by_role("button", name="Switch off").click()
    expect(page.get_by_role("row").filter(has_text="black mold remover")).to_contain_text(
        "Switched off"
    )


def test_survey_form_shows_what_the_spanish_sms_costs_and_refuses_an_accent(tab: Tab) -> None:
    _admin()
    with db.session() as session:
        survey_id = make_survey(session).id
    tab.sign_in("admin@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    tab.go(f"/staff/surveys/{survey_id}")
    spanish = page.get_by_label("Spanish SMS text")
    expect(page.locator(f"#{spanish.get_attribute('id')}-hint")).to_contain_text("Default text")

    spanish.fill("Hola {first_name}, ¿cómo vas? Responde BAJA para salir.")
    page.get_by_role("button", name="Save survey").click()
    expect(page.locator("#survey-es_sms_template-error")).to_contain_text("LATIN SMALL LETTER O")

    page.get_by_label("Spanish SMS text").fill("Hola {first_name}, como vas? BAJA para salir.")
    page.get_by_role("button", name="Save survey").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: translations.")
    hint = page.locator("#survey-es_sms_template-hint")
    expect(hint).to_contain_text("Saved text: 1 segment (GSM-7")
