"""Survey flows in the browser: edit a flow, see each SMS's segments and encoding, dry run it
against a contractor; the NPS report with the anonymity threshold applied."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import db
from outreach.models import Survey
from staff.models import AuditEvent
from tests.browser.conftest import Tab
from tests.factories import DEFAULT_STAFF_PASSWORD, make_contractor, make_staff_user
from tests.flow_helpers import nps_answer, nps_survey

pytestmark = pytest.mark.browser


def _flow_and_admin() -> int:
    with db.session() as session:
        survey = nps_survey(session)
        make_contractor(session, name="Rosa Diaz", client="Acme", language="es")
        make_staff_user(session, role="admin", email="admin@example.com")
        return survey.id


def test_flow_page_edits_a_flow_and_previews_its_segments(tab: Tab) -> None:
    survey_id = _flow_and_admin()
    tab.sign_in("admin@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    tab.go("/staff/flows")
    page.get_by_role("link", name="30-day NPS").click()

    preview = page.locator("#sms-preview")
    row = preview.locator("tr", has=page.locator("code", has_text="steps.what_happened")).first
    expect(row).to_contain_text("1")
    expect(row).to_contain_text("GSM-7")

    editor = page.get_by_label("Flow (JSON)")
    flow = json.loads(editor.input_value())
    flow["steps"]["what_happened"]["text"]["es"] = "¿Qué pasó? " + "Cuéntanos todo. " * 6
    editor.fill(json.dumps(flow, indent=2, ensure_ascii=False))
    page.get_by_role("button", name="Save flow").click()

    # "ó" is not GSM-7: refused, naming the text, and nothing saved.
    error = page.locator("#flow-flow-error")
    expect(error).to_contain_text("steps.what_happened.text.es")
    expect(error).to_contain_text("LATIN SMALL LETTER O WITH ACUTE")

    flow["steps"]["what_happened"]["text"]["es"] = "Que paso? " + "Cuentanos todo. " * 12
    page.get_by_label("Flow (JSON)").fill(json.dumps(flow, indent=2))
    page.get_by_role("button", name="Save flow").click()

    expect(page.get_by_text("Flow saved.")).to_be_visible()
    es_row = preview.locator("tr", has_text="Que paso? Cuentanos todo.")
    expect(es_row.locator("td[data-label=Segments]")).to_have_text("2")
    expect(es_row.locator("td[data-label=Encoding]")).to_have_text("GSM-7")
    with db.session() as session:
        saved = session.get_one(Survey, survey_id)
        assert saved.flow is not None
        assert saved.flow["steps"]["what_happened"]["text"]["es"].startswith("Que paso?")
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "flow_edited"))
        assert event.target_id == survey_id


def test_flow_page_dry_run_plays_the_flow_in_the_contractors_language(tab: Tab) -> None:
    survey_id = _flow_and_admin()
    tab.sign_in("admin@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    tab.go(f"/staff/flows/{survey_id}")

    page.get_by_label("Sample contractor").select_option(label="Rosa Diaz (es, Acme)")
    page.get_by_label("Their answers, one a line").fill("quien eres?\n3\nel jefe me grita")
    page.get_by_role("button", name="Dry run").click()

    lines = page.locator("#dry-run li")
    expect(lines).to_have_count(8)
    expect(lines.nth(0)).to_contain_text("Hola Rosa, que tan probable")
    expect(lines.nth(1)).to_contain_text("does not fit: kept as a comment")
    expect(lines.nth(2)).to_contain_text("Perdon, no entendimos.")
    expect(lines.nth(4)).to_contain_text("Lamentamos oir eso. Que paso?")
    expect(lines.nth(6)).to_contain_text("Gracias por contarnos.")
    expect(lines.nth(7)).to_contain_text("conversation closed")


def test_nps_page_applies_the_anonymity_threshold(tab: Tab) -> None:
    with db.session() as session:
        survey = nps_survey(session)
        for score in (10, 9, 9, 7, 3):
            nps_answer(session, survey, score, client="Acme", account_manager="Dana")
        for score in (2, 10):
            nps_answer(session, survey, score, client="Small Shop", account_manager="Lee")
        make_staff_user(session, role="care", email="care@example.com")
    tab.sign_in("care@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    page.get_by_role("link", name="NPS").click()

    clients = page.locator("#nps-client")
    acme = clients.locator("tr", has_text="Acme")
    expect(acme.locator("td[data-label=NPS]")).to_have_text("40")
    expect(acme.locator("td[data-label=Promoters]")).to_have_text("3")
    expect(acme.locator("td[data-label=Detractors]")).to_have_text("1")
    small = clients.locator("tr", has_text="Small Shop")
    expect(small).to_contain_text("hidden: fewer than 5")
    expect(small.locator("td[data-label=Promoters]")).to_have_text("—")
    expect(page.locator("#nps-manager tr", has_text="Lee")).to_contain_text("hidden")
    expect(page.locator("#nps-overall td[data-label=NPS]")).to_have_text(
        str(round(100 * (4 - 2) / 7))
    )
