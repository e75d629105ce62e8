"""Signing in and out, and Support and Care working their queues, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import db
from staff.models import WorkNote
from surveys.models import Alert, Ticket
from tests.browser.conftest import Tab
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_response,
    make_staff_user,
    make_ticket,
)

pytestmark = pytest.mark.browser


def _user(role: str) -> str:
    with db.session() as session:
        return make_staff_user(session, role=role, email=f"{role}@example.com").email


def test_sign_in_and_sign_out(tab: Tab) -> None:
    email = _user("support")
    page = tab.page

    tab.go("/staff/support")
    expect(page).to_have_url(re.compile(r"/staff/sign-in\?next=(/|%2F)staff(/|%2F)support$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an active account")

    page.get_by_label("Password").fill(DEFAULT_STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(tab.site.url + "/staff/support")
    expect(page.get_by_role("heading", level=1)).to_have_text("Support queue")
    expect(page.locator(".who")).to_contain_text(email)  # the filters list staff too
    tab.shot("signed-in")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(tab.site.url + "/staff/sign-in")
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    tab.go("/staff/support")
    expect(page).to_have_url(re.compile(r"/staff/sign-in\?next="))


def test_support_works_a_ticket_from_claim_to_resolve_and_hands_one_to_care(tab: Tab) -> None:
    with db.session() as session:
        rosa = make_contractor(session, name="Rosa Diaz", client="Globex")
        pay = make_ticket(session, contractor_id=rosa.id, category="timecard_pay", priority="high")
        pay.responses.append(make_response(session, contractor_id=rosa.id, text="2 pay is late"))
        upset = make_ticket(
            session, contractor_id=rosa.id, category="client_conflict", priority="urgent"
        )
        pay_id, upset_id = pay.id, upset.id
    tab.sign_in(_user("support"), DEFAULT_STAFF_PASSWORD)
    page = tab.page

    # Urgent on top of the queue.
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"#{upset_id} Client conflict")
    page.get_by_role("link", name=f"#{pay_id} Timecard / pay").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Support ticket #{pay_id}: Timecard / pay"
    )
    expect(page.get_by_text("2 pay is late")).to_be_visible()

    # The keyboard works the forms: focus the button and press Enter.
    page.get_by_role("button", name="Claim").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"You claimed ticket #{pay_id}.")
    page.get_by_label("Internal note (staff only)").fill("Payroll says Friday's run.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Payroll says Friday's run.")).to_be_visible()
    page.get_by_label("Resolution").fill("Paid in Friday's run; timecard approved.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("status")).to_contain_text(f"Ticket #{pay_id} resolved.")
    expect(page.get_by_role("button", name="Reopen ticket")).to_be_visible()
    tab.shot("resolved")

    tab.go(f"/staff/tickets/{upset_id}")
    page.get_by_label("Why hand it over").fill("Very upset about the supervisor; please call.")
    page.get_by_role("button", name="Hand off to Care").click()
    expect(page).to_have_url(tab.site.url + "/staff/support")
    expect(page.get_by_role("status")).to_contain_text(f"Ticket #{upset_id} handed to Care.")
    expect(page.locator("table.queue")).to_have_count(0)  # nothing left for Support

    with db.session() as session:
        resolved = session.get_one(Ticket, pay_id)
        handed = session.get_one(Ticket, upset_id)
        assert (resolved.status, resolved.resolution) == (
            "resolved",
            "Paid in Friday's run; timecard approved.",
        )
        assert (handed.team, handed.status) == ("care", "open")
    assert tab.dialogs == []


def test_care_acknowledges_and_resolves_an_alert(tab: Tab) -> None:
    with db.session() as session:
        ivan = make_contractor(session, name="Ivan Petrov")
        alert = make_alert(session, contractor_id=ivan.id, kind="quit_intent", severity="urgent")
        alert.responses.append(
            make_response(session, contractor_id=ivan.id, text="thinking about quitting")
        )
        alert_id = alert.id
    tab.sign_in(_user("care"), DEFAULT_STAFF_PASSWORD)
    page = tab.page

    expect(page.get_by_role("heading", level=1)).to_have_text("Care queue")
    page.get_by_role("link", name=f"#{alert_id} Said they may leave").click()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text(f"You acknowledged alert #{alert_id}.")
    page.get_by_label("Text", exact=True).check()
    page.get_by_label("What came of it").fill("Texted; they will call back at 5.")
    page.get_by_role("button", name="Log outreach").click()
    # Logged as a note and, now that a text is sent, shown in the conversation too.
    expect(page.get_by_text("Texted; they will call back at 5.").first).to_be_visible()
    page.get_by_label("Outcome").fill("Talked it through; staying on.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("This alert is resolved.")).to_be_visible()

    with db.session() as session:
        done = session.get_one(Alert, alert_id)
        log = session.scalars(
            select(WorkNote).where(WorkNote.alert_id == alert_id).order_by(WorkNote.id)
        ).all()
        assert done.status == "resolved"
        assert [(n.kind, n.body) for n in log] == [
            ("text", "Texted; they will call back at 5."),
            ("resolution", "Talked it through; staying on."),
        ]


@pytest.mark.parametrize(("role", "other"), [("support", "care"), ("care", "support")])
def test_a_team_cannot_open_the_other_teams_queue(tab: Tab, role: str, other: str) -> None:
    tab.sign_in(_user(role), DEFAULT_STAFF_PASSWORD)
    page = tab.page

    answer = tab.go(f"/staff/{other}")

    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Forbidden")
    expect(page.get_by_text("Your role does not give access to this page.")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=f"{other.capitalize()} queue")).to_have_count(0)
    expect(nav.get_by_role("link", name=f"{role.capitalize()} queue")).to_be_visible()
