"""Demo promises for `make run`: team hours with a lead, a second Support login who owns some
contractors (owner-first assignment), and fresh work that is on time, due soon and overdue
whatever the hour `make run` starts at (times are set back in business hours, not clock hours)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from outreach.models import Contractor
from staff import business_hours, sla
from staff.work_models import TeamHours
from surveys.models import Alert, Team, Ticket

RULE = "demo-sla"
# (team, what, priority or severity, how much of the first-response target has gone)
WORK = [
    (Team.SUPPORT, "equipment_access", "urgent", 0.1, "DEMO-001"),
    (Team.SUPPORT, "timecard_pay", "high", 0.85, "DEMO-002"),
    (Team.SUPPORT, "hours_scope", "normal", 1.3, "DEMO-005"),
    (Team.CARE, "baseline_drop", "high", 0.85, "DEMO-003"),
    (Team.CARE, "low_rating_streak", "normal", 1.3, "DEMO-004"),
]


def seed_promises(session: Session, leads: dict[str, int]) -> Counter[str]:
    """Team hours (leads: team -> staff user id) and the demo work; safe to run again."""
    for team, lead in leads.items():
        if session.get(TeamHours, team) is None:
            session.add(
                TeamHours(
                    team=team,
                    timezone="America/Chicago",
                    opens="08:00",
                    closes="18:00",
                    weekdays=[0, 1, 2, 3, 4],
                    holiday_country="US",
                    lead_id=lead,
                    per_person_cap=25,
                )
            )
    session.flush()
    if session.scalar(select(Ticket.id).where(Ticket.rule == RULE).limit(1)) is None:
        _add_work(session)
    sla.sweep(session)
    session.flush()
    states: Counter[str] = Counter()
    for item_type, ids in (
        ("ticket", session.scalars(select(Ticket.id).where(Ticket.rule == RULE))),
        (
            "alert",
            session.scalars(select(Alert.id).where(Alert.evidence["demo"].as_string() == RULE)),
        ),
    ):
        for clock in sla.clocks_for(session, item_type, set(ids)).values():
            states[sla.state(clock)] += 1
    return states


def _add_work(session: Session) -> None:
    people = {
        c.external_id: c
        for c in session.scalars(select(Contractor).where(Contractor.external_id.like("DEMO-%")))
    }
    current = now()
    for team, what, priority, gone, external_id in WORK:
        contractor = people.get(external_id)
        if contractor is None:
            continue
        calendar = sla.calendar_for(session, team)
        target = sla.policy_for(session, team, priority).first_response_minutes
        opened = business_hours.back(calendar, current, target * gone)
        if team == Team.SUPPORT:
            session.add(
                Ticket(
                    contractor_id=contractor.id,
                    category=what,
                    priority=priority,
                    team=team,
                    rule=RULE,
                    summary=f"Demo: {what.replace('_', ' ')} ({priority})",
                    created_at=opened,
                    updated_at=opened,
                )
            )
        else:
            session.add(
                Alert(
                    contractor_id=contractor.id,
                    client=contractor.client,
                    kind=what,
                    severity=priority,
                    evidence={"reasons": ["demo: a promise to watch"], "demo": RULE},
                    created_at=opened,
                    updated_at=opened,
                )
            )
    session.flush()
