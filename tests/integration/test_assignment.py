"""Assignment rules: the contractor's owner first, then round robin with a cap, oldest first."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import tick
from staff import assignment, tickets
from staff.models import AuditEvent
from staff.work_models import TeamHours
from surveys.models import Alert, Ticket
from tests.conftest import FrozenClock
from tests.factories import make_alert, make_contractor, make_staff_user, make_ticket


def _cap(session: Session, team: str, cap: int) -> None:
    session.add(
        TeamHours(
            team=team,
            timezone="America/Chicago",
            opens="08:00",
            closes="18:00",
            weekdays=[0, 1, 2, 3, 4],
            holiday_country="US",
            per_person_cap=cap,
        )
    )


def _holders(session: Session) -> list[int | None]:
    return [t.assignee_id for t in session.scalars(select(Ticket).order_by(Ticket.id))]


def test_assignment_owner_first_then_round_robin_then_waits_at_cap(
    session: Session, clock: FrozenClock
) -> None:
    _cap(session, "support", 2)
    dana = make_staff_user(session, email="dana.manager@example.com", role="support")
    ben = make_staff_user(session, role="support")
    cy = make_staff_user(session, role="support")
    make_staff_user(session, role="care")  # another team's: never given Support's tickets
    danas = make_contractor(session, account_manager="Dana Manager")
    other = make_contractor(session, account_manager="Someone Not On Staff")
    start = clock.current - timedelta(hours=10)
    for n, contractor in enumerate([danas, other, other, danas, other, danas, other, other]):
        make_ticket(session, contractor_id=contractor.id, created_at=start + timedelta(minutes=n))
    session.commit()

    assert assignment.drain(session, "support") == 6
    session.commit()

    # Dana owns tickets 1, 4 and 6 and gets 1; the turns start with her too (2), so she is at
    # the cap of two and her own 4 and 6 go on round robin to Ben and Cy. With everyone at
    # two, the newest two wait.
    assert _holders(session) == [dana.id, dana.id, ben.id, cy.id, ben.id, cy.id, None, None]
    rules = [
        (e.target_id, e.detail["rule"], e.staff_user_id)
        for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "ticket_assigned").order_by(AuditEvent.id)
        )
    ]
    assert [rule for _, rule, _ in rules] == ["owner"] + ["round_robin"] * 5
    assert {who for _, _, who in rules} == {None}


def test_assignment_resolving_frees_a_place_for_the_oldest_waiting(
    session: Session, clock: FrozenClock
) -> None:
    _cap(session, "support", 1)
    only = make_staff_user(session, role="support")
    first = make_ticket(session, created_at=clock.current - timedelta(hours=3))
    newest = make_ticket(session, created_at=clock.current - timedelta(hours=1))
    oldest_waiting = make_ticket(session, created_at=clock.current - timedelta(hours=2))
    session.commit()
    assignment.drain(session, "support")
    tickets.resolve(session, first.id, "Done.", by=only.id)
    session.commit()

    assert assignment.drain(session, "support") == 1
    session.commit()
    assert session.get_one(Ticket, oldest_waiting.id).assignee_id == only.id
    assert session.get_one(Ticket, newest.id).assignee_id is None


def test_assignment_care_alerts_and_reassignment_are_audited(
    session: Session, clock: FrozenClock
) -> None:
    ann = make_staff_user(session, role="care")
    bo = make_staff_user(session, role="care")
    alert = make_alert(session, created_at=clock.current)
    session.commit()
    assignment.drain(session, "care")
    session.commit()
    assert session.get_one(Alert, alert.id).assignee_id == ann.id

    assignment.assign_alert(session, alert.id, bo.id, by=ann.id)
    session.commit()
    handed = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "alert_assigned", AuditEvent.staff_user_id == ann.id
        )
    ).one()
    assert handed.detail == {"before": ann.id, "after": bo.id}


def test_assignment_runs_on_the_tick(app: object, session: Session, clock: FrozenClock) -> None:
    worker = make_staff_user(session, role="support")
    ticket = make_ticket(session, created_at=clock.current)
    session.commit()

    counts = tick.tick()

    assert counts["auto_assigned"] == 1
    assert counts["sla_started"] == 1
    session.expire_all()
    assert session.get_one(Ticket, ticket.id).assignee_id == worker.id
