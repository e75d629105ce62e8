"""Each team reads only the work notes of the tickets and alerts its role may open."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from staff import alerts, inbox, tickets
from staff import contractors as pages
from staff.models import Role, StaffUser, WorkNote
from surveys.models import Alert, Team, Ticket
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_staff_user,
    make_ticket,
)
from tests.staff_helpers import signed_in

SUPPORT_NOTE = "Payroll says the timecard was approved late"
CARE_CALL = "Called Ana: she is thinking of leaving over the commute"
CARE_ESCALATION = "Mentions a manager shouting at her; lead to call the client"
CARE_RESOLUTION = "Moved to the day shift, she is staying"
HAND_OFF = "Not a pay problem: she sounds unhappy"


def _worked_contractor(session: Session) -> tuple[int, dict[str, StaffUser]]:
    """A contractor with a Support ticket, a ticket handed to Care, and a worked Care alert."""
    staff = {role: make_staff_user(session, role=role) for role in Role}
    ana = make_contractor(session, name="Ana Ortiz")
    own = make_ticket(session, contractor_id=ana.id)
    handed = make_ticket(session, contractor_id=ana.id, category="client_conflict")
    alert = make_alert(session, contractor_id=ana.id, kind="quit_intent")
    session.flush()
    support, care = staff[Role.SUPPORT].id, staff[Role.CARE].id
    tickets.add_note(session, own.id, SUPPORT_NOTE, by=support)
    tickets.hand_off(session, handed.id, Team.CARE, HAND_OFF, by=support)
    alerts.log_outreach(session, alert.id, "call", CARE_CALL, by=care)
    alerts.escalate(session, alert.id, CARE_ESCALATION, by=care)
    alerts.resolve(session, alert.id, CARE_RESOLUTION, by=care)
    session.commit()
    return ana.id, staff


def test_contractor_page_for_support_hides_care_work_notes(app: Flask, session: Session) -> None:
    contractor_id, staff = _worked_contractor(session)
    browser = signed_in(app.test_client(), staff[Role.SUPPORT].email, DEFAULT_STAFF_PASSWORD)

    page = browser.page(f"/staff/contractors/{contractor_id}")

    assert SUPPORT_NOTE in page
    assert HAND_OFF in page  # the hand-off is on a ticket, which Support may open
    for care_only in (CARE_CALL, CARE_ESCALATION, CARE_RESOLUTION):
        assert care_only not in page


def test_contractor_page_for_care_hides_notes_of_support_tickets(
    app: Flask, session: Session
) -> None:
    contractor_id, staff = _worked_contractor(session)
    browser = signed_in(app.test_client(), staff[Role.CARE].email, DEFAULT_STAFF_PASSWORD)

    page = browser.page(f"/staff/contractors/{contractor_id}")

    for care_may in (HAND_OFF, CARE_CALL, CARE_ESCALATION, CARE_RESOLUTION):
        assert care_may in page
    assert SUPPORT_NOTE not in page


def test_contractor_page_for_admin_shows_every_work_note(app: Flask, session: Session) -> None:
    contractor_id, staff = _worked_contractor(session)
    browser = signed_in(app.test_client(), staff[Role.ADMIN].email, DEFAULT_STAFF_PASSWORD)

    page = browser.page(f"/staff/contractors/{contractor_id}")

    for note in (SUPPORT_NOTE, HAND_OFF, CARE_CALL, CARE_ESCALATION, CARE_RESOLUTION):
        assert note in page


def test_timeline_notes_are_exactly_those_whose_ticket_or_alert_the_role_may_open(
    app: Flask, session: Session
) -> None:
    contractor_id, _staff = _worked_contractor(session)
    contractor = pages.get_contractor(session, contractor_id)
    every_note = list(session.scalars(select(WorkNote)))
    assert len(every_note) == 5

    for role in Role:
        shown = {e.item.id for e in pages.timeline(session, contractor, role) if e.kind == "note"}
        may_open = {
            n.id
            for n in every_note
            if (n.alert_id and inbox.can_view_alert(role, session.get(Alert, n.alert_id)))
            or (n.ticket_id and inbox.can_view_ticket(role, session.get(Ticket, n.ticket_id)))
        }
        assert shown == may_open, role
