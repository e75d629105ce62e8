"""Promises, assignment and steering the queues in a real browser: an SLA warning then an
escalation with a patched clock, owner-first then round-robin assignment, bulk resolve, a
saved view, and a list that refreshes itself without a reload (and works without JavaScript)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from core.db import db
from staff import assignment, sla
from staff.work_models import TeamHours
from surveys.models import Ticket
from tests.browser.conftest import Site, Tab, _tab
from tests.conftest import FrozenClock
from tests.factories import DEFAULT_STAFF_PASSWORD, make_contractor, make_staff_user, make_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def no_js_tab(browser: Browser, site: Site, request: pytest.FixtureRequest) -> Iterator[Tab]:
    yield from _tab(browser, site, request, java_script_enabled=False)


def _staff(email: str, role: str = "support") -> int:
    with db.session() as session:
        return make_staff_user(session, role=role, email=email).id


def _team(team: str, *, lead: int | None = None, cap: int = 10) -> None:
    with db.session() as session:
        session.add(
            TeamHours(
                team=team,
                timezone="America/Chicago",
                opens="08:00",
                closes="18:00",
                weekdays=[0, 1, 2, 3, 4],
                holiday_country="US",
                lead_id=lead,
                per_person_cap=cap,
            )
        )


def test_sla_warning_then_escalation_to_the_lead_with_a_patched_clock(
    tab: Tab, clock: FrozenClock
) -> None:
    lead = _staff("lead@example.com")
    _team("support", lead=lead)
    with db.session() as session:
        rosa = make_contractor(session, name="Rosa Diaz")
        ticket_id = make_ticket(
            session, contractor_id=rosa.id, priority="urgent", created_at=clock.current
        ).id
    sla.tick_step()
    _staff("agent@example.com")
    tab.sign_in("agent@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    row = page.locator(f"#ticket-row-{ticket_id}")
    expect(row).to_contain_text("On time")
    expect(row).to_contain_text("First response: 1 h 00 min left")

    clock.advance(minutes=50)
    assert sla.tick_step()["sla_warned"] == 1
    page.reload()
    expect(row).to_contain_text("Due soon")
    expect(row).to_contain_text("10 min left")
    page.get_by_role("link", name=f"#{ticket_id}").click()
    expect(page.locator("#sla")).to_contain_text("Due soon")
    tab.shot("warning")

    clock.advance(minutes=11)
    assert sla.tick_step()["sla_escalated"] == 1
    page.reload()
    promise = page.locator("#sla")
    expect(promise).to_contain_text("Overdue")
    expect(promise).to_contain_text("Escalated")
    expect(promise).to_contain_text("lead@example.com")
    expect(page.locator(".facts").first).to_contain_text("lead@example.com")  # now holds it
    tab.go("/staff/support?sla=breached")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)


def test_assignment_owner_first_then_round_robin_shows_in_the_queue(
    tab: Tab, clock: FrozenClock
) -> None:
    _team("support", cap=5)
    dana = _staff("dana.manager@example.com")
    _staff("ben@example.com")
    _staff("cy@example.com")
    with db.session() as session:
        danas = make_contractor(session, name="Rosa Diaz", account_manager="Dana Manager")
        others = make_contractor(session, name="Sam Roe", account_manager="Pat Outside")
        ids = [
            make_ticket(
                session,
                contractor_id=who.id,
                created_at=clock.current - timedelta(minutes=10 - n),
            ).id
            for n, who in enumerate([danas, others, others, others])
        ]
    assert assignment.tick_step() == {"auto_assigned": 4}
    tab.sign_in("dana.manager@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page

    holders = [page.locator(f"#ticket-row-{i} [data-label=Holder]") for i in ids]
    expect(holders[0]).to_have_text("dana.manager@example.com")  # her contractor: owner first
    expect(holders[1]).to_have_text("dana.manager@example.com")  # the turns start with her
    expect(holders[2]).to_have_text("ben@example.com")
    expect(holders[3]).to_have_text("cy@example.com")
    page.get_by_label("Assignee", exact=True).select_option(str(dana))
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(2)


def test_bulk_resolve_from_the_queue_without_javascript(no_js_tab: Tab) -> None:
    tab = no_js_tab
    with db.session() as session:
        rosa = make_contractor(session, name="Rosa Diaz")
        first, second, kept = (
            make_ticket(session, contractor_id=rosa.id, summary=s).id for s in ("a", "b", "c")
        )
    _staff("agent@example.com")
    tab.sign_in("agent@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page

    page.get_by_label(f"Pick ticket #{first}").check()
    page.get_by_label(f"Pick ticket #{second}").check()
    page.get_by_label("Do").select_option("resolve")
    page.get_by_label("Resolution (for Resolve)").fill("Payroll fixed it for everyone")
    page.get_by_role("button", name="Apply to ticked").click()

    expect(page.get_by_role("status")).to_contain_text(f"Resolved 2 ticket(s): #{first}, #{second}")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    with db.session() as session:
        statuses = dict(session.execute(select(Ticket.id, Ticket.status)).all())
    assert statuses == {first: "resolved", second: "resolved", kept: "open"}


def test_saved_view_is_named_kept_and_reopened(tab: Tab) -> None:
    with db.session() as session:
        for name, client in (("Rosa Diaz", "Globex"), ("Sam Roe", "Initech")):
            make_ticket(
                session, contractor_id=make_contractor(session, name=name, client=client).id
            )
    _staff("lead@example.com")
    tab.sign_in("lead@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    expect(page.locator("table.queue tbody tr")).to_have_count(2)

    page.get_by_label("Client", exact=True).select_option("Globex")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    page.get_by_label("Save these filters as").fill("Globex work")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("status")).to_contain_text("Saved view “Globex work”")

    tab.go("/staff/support")
    expect(page.locator("table.queue tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Globex work").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue")).to_contain_text("Rosa Diaz")


def test_queue_list_refreshes_itself_without_a_reload(tab: Tab) -> None:
    tab.site.app.config["STAFF_REFRESH_SECONDS"] = 1
    with db.session() as session:
        make_ticket(session, contractor_id=make_contractor(session, name="Rosa Diaz").id)
    _staff("agent@example.com")
    tab.sign_in("agent@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    page.evaluate("window.stillTheSamePage = true")

    with db.session() as session:
        newcomer = make_contractor(session, name="Kim Newcomer")
        make_ticket(session, contractor_id=newcomer.id, priority="urgent")

    expect(page.locator("table.queue tbody tr")).to_have_count(2)
    expect(page.locator("table.queue tbody tr").first).to_contain_text("Kim Newcomer")
    assert page.evaluate("window.stillTheSamePage") is True
