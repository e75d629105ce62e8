"""SLA clocks on real tickets and alerts, swept as the tick sweeps them, with a patched clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from staff import sla, tickets
from staff.models import AuditEvent
from staff.work_models import SlaClock, SlaPolicy, SlaState, TeamHours
from surveys.models import Alert
from tests.conftest import FrozenClock
from tests.factories import make_alert, make_staff_user, make_ticket


def _lead(session: Session, team: str = "support") -> int:
    lead = make_staff_user(session, email=f"lead-{team}@example.com", role=team)
    session.add(
        TeamHours(
            team=team,
            timezone="America/Chicago",
            opens="08:00",
            closes="18:00",
            weekdays=[0, 1, 2, 3, 4],
            holiday_country="US",
            per_person_cap=10,
        )
    )
    session.flush()
    row = session.get(TeamHours, team)
    assert row is not None
    row.lead_id = lead.id
    session.commit()
    return lead.id


def _clock(session: Session, item_type: str, item_id: int) -> SlaClock:
    return session.scalars(
        select(SlaClock).where(SlaClock.item_type == item_type, SlaClock.item_id == item_id)
    ).one()


def _actions(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_sla_urgent_ticket_warns_before_then_escalates_to_lead_after(
    session: Session, clock: FrozenClock
) -> None:
    lead = _lead(session)
    ticket = make_ticket(session, priority="urgent", created_at=clock.current)
    session.commit()

    assert sla.sweep(session)["sla_started"] == 1
    started = _clock(session, "ticket", ticket.id)
    assert started.first_response_due == clock.current + timedelta(hours=1)
    assert sla.state(started) == SlaState.ON_TIME

    clock.advance(minutes=46)
    assert sla.sweep(session)["sla_warned"] == 1
    assert sla.sweep(session) == {"sla_started": 0, "sla_warned": 0, "sla_escalated": 0}
    [warning] = _actions(session, "sla_warning")
    assert (warning.target_type, warning.target_id, warning.staff_user_id) == (
        "ticket",
        ticket.id,
        None,
    )
    assert sla.state(started) == SlaState.WARNING
    assert _actions(session, "sla_escalated") == []

    clock.advance(minutes=15)
    assert sla.sweep(session)["sla_escalated"] == 1
    session.commit()
    assert sla.sweep(session)["sla_escalated"] == 0
    [escalation] = _actions(session, "sla_escalated")
    assert escalation.detail == {"target": "first response", "lead": lead}
    session.refresh(ticket)
    assert ticket.assignee_id == lead
    assert sla.state(started) == SlaState.BREACHED
    assert "overdue by" in sla.describe(session, started)


def test_sla_first_response_in_time_moves_the_clock_to_resolution(
    session: Session, clock: FrozenClock
) -> None:
    _lead(session)
    worker = make_staff_user(session, role="support")
    ticket = make_ticket(session, priority="urgent", created_at=clock.current)
    session.commit()
    sla.sweep(session)

    clock.advance(minutes=20)
    tickets.claim(session, ticket.id, by=worker.id)
    session.commit()
    clock.advance(minutes=45)  # past the first-response due time, but it was answered
    counts = sla.sweep(session)

    assert (counts["sla_warned"], counts["sla_escalated"]) == (0, 0)
    running = _clock(session, "ticket", ticket.id)
    assert running.first_responded_at == clock.current - timedelta(minutes=45)
    assert sla.state(running) == SlaState.ON_TIME
    assert sla.describe(session, running).startswith("Resolution: 6 h 55 min left")

    clock.advance(hours=1)
    tickets.resolve(session, ticket.id, "Payroll reissued the check.", by=worker.id)
    session.commit()
    sla.sweep(session)
    assert sla.state(_clock(session, "ticket", ticket.id)) == SlaState.MET
    [week] = sla.share_met(session)
    assert (week.team, week.week, week.met, week.total) == ("support", "2026-W10", 1, 1)


def test_sla_being_assigned_is_not_a_first_response(session: Session, clock: FrozenClock) -> None:
    lead = make_staff_user(session, role="support")
    worker = make_staff_user(session, role="support")
    ticket = make_ticket(session, priority="urgent", created_at=clock.current)
    session.commit()
    sla.sweep(session)
    tickets.assign(session, ticket.id, worker.id, by=lead.id)
    session.commit()
    clock.advance(minutes=61)

    assert sla.sweep(session)["sla_escalated"] == 1
    assert _clock(session, "ticket", ticket.id).first_responded_at is None


def test_sla_friday_evening_ticket_is_due_on_monday_morning(
    session: Session, clock: FrozenClock
) -> None:
    friday_evening = datetime(2026, 3, 6, 23, 30, tzinfo=UTC)  # 17:30 in Chicago
    clock.set(friday_evening)
    ticket = make_ticket(session, priority="urgent", created_at=friday_evening)
    session.commit()
    sla.sweep(session)

    due = _clock(session, "ticket", ticket.id).first_response_due
    # Monday 08:30 in Chicago, which moved to daylight time (UTC-5) on the Sunday between.
    assert due == datetime(2026, 3, 9, 13, 30, tzinfo=UTC)
    clock.set(datetime(2026, 3, 8, 20, 0, tzinfo=UTC))  # Sunday: no time has passed
    assert sla.sweep(session)["sla_warned"] == 0


def test_sla_team_policy_row_overrides_the_default(session: Session, clock: FrozenClock) -> None:
    session.add(
        SlaPolicy(team="care", priority="high", first_response_minutes=30, resolution_minutes=90)
    )
    lead = _lead(session, "care")
    alert = make_alert(session, severity="high", created_at=clock.current)
    session.commit()
    sla.sweep(session)
    running = _clock(session, "alert", alert.id)
    assert running.first_response_due == clock.current + timedelta(minutes=30)

    clock.advance(minutes=31)
    sla.sweep(session)
    session.commit()
    escalated = session.get_one(Alert, alert.id)
    assert (escalated.status, escalated.assignee_id) == ("escalated", lead)


def test_sla_recent_resolved_work_is_measured_and_old_history_left_alone(
    session: Session, clock: FrozenClock
) -> None:
    worker = make_staff_user(session, role="support")
    make_ticket(
        session,
        status="resolved",
        created_at=clock.current - timedelta(weeks=10),
        resolved_at=clock.current - timedelta(weeks=9),
    )
    recent = make_ticket(session, priority="high", created_at=clock.current - timedelta(hours=2))
    session.commit()
    clock.advance(minutes=1)
    tickets.resolve(session, recent.id, "Sorted.", by=worker.id)
    session.commit()

    assert sla.sweep(session)["sla_started"] == 1
    assert sla.state(_clock(session, "ticket", recent.id)) == SlaState.MET
    assert session.scalar(select(func.count()).select_from(SlaClock)) == 1
