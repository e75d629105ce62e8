"""Promises on time: each ticket and alert gets a first-response and a resolution target in its
team's business hours; the tick warns before a target passes and escalates to the team lead
after. No Flask: functions take a session; the tick's step commits.

A *first response* is the first thing a person did on the item (claim, acknowledge, note,
outreach, status, resolve, a message sent); being given the item by the rules or by a lead is
not one, nor is anything the system did (its audit events have no staff user).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import db
from staff import audit, business_hours
from staff.business_hours import Calendar
from staff.models import AuditEvent
from staff.work_models import SlaClock, SlaPolicy, SlaState, TeamHours
from surveys.models import Alert, AlertStatus, Team, Ticket, TicketStatus

# Business minutes (first response, resolution) per team and priority, unless a team has
# its own rows in sla_policies. An alert's priority is its severity.
DEFAULT_POLICIES: dict[tuple[str, str], tuple[int, int]] = {
    (Team.SUPPORT, "urgent"): (60, 8 * 60),
    (Team.SUPPORT, "high"): (4 * 60, 2 * 10 * 60),
    (Team.SUPPORT, "normal"): (8 * 60, 3 * 10 * 60),
    (Team.SUPPORT, "low"): (2 * 10 * 60, 5 * 10 * 60),
    (Team.CARE, "urgent"): (60, 8 * 60),
    (Team.CARE, "high"): (4 * 60, 2 * 10 * 60),
    (Team.CARE, "normal"): (8 * 60, 4 * 10 * 60),
    (Team.CARE, "low"): (2 * 10 * 60, 5 * 10 * 60),
}
# A warning goes out once this share of a target's business time has passed.
WARN_AT = 0.75
STATE_LABELS: dict[str, str] = {
    SlaState.ON_TIME: "On time",
    SlaState.WARNING: "Due soon",
    SlaState.BREACHED: "Overdue",
    SlaState.MET: "Met",
    SlaState.MISSED: "Missed",
}
# Audit actions that do not answer the contractor's problem: being given the work.
NOT_A_RESPONSE = frozenset({"ticket_assigned", "alert_assigned", "ticket_handed_off"})


@dataclass(frozen=True)
class Policy:
    first_response_minutes: int
    resolution_minutes: int


def calendar_for(session: Session, team: str) -> Calendar:
    row = session.get(TeamHours, team)
    if row is None:
        return Calendar()
    return Calendar(
        timezone=row.timezone,
        opens=time.fromisoformat(row.opens),
        closes=time.fromisoformat(row.closes),
        weekdays=frozenset(row.weekdays),
        holiday_country=row.holiday_country,
        holiday_subdivision=row.holiday_subdivision,
    )


def policy_for(session: Session, team: str, priority: str) -> Policy:
    row = session.scalar(
        select(SlaPolicy).where(SlaPolicy.team == team, SlaPolicy.priority == priority)
    )
    if row is not None:
        return Policy(row.first_response_minutes, row.resolution_minutes)
    first, resolution = DEFAULT_POLICIES.get((team, priority), DEFAULT_POLICIES[(team, "normal")])
    return Policy(first, resolution)


def start_clock(
    session: Session,
    item_type: str,
    item_id: int,
    team: str,
    priority: str,
    at: datetime,
    rules: tuple[Calendar, Policy] | None = None,
) -> SlaClock:
    """``rules``: the team's calendar and the policy, when the caller has them already."""
    calendar, policy = rules or (calendar_for(session, team), policy_for(session, team, priority))

    def after(minutes: float) -> datetime:
        return business_hours.add(calendar, at, minutes)

    clock = SlaClock(
        item_type=item_type,
        item_id=item_id,
        team=team,
        priority=priority,
        started_at=at,
        first_response_warn_at=after(policy.first_response_minutes * WARN_AT),
        first_response_due=after(policy.first_response_minutes),
        resolution_warn_at=after(policy.resolution_minutes * WARN_AT),
        resolution_due=after(policy.resolution_minutes),
    )
    session.add(clock)
    return clock


def _active(clock: SlaClock) -> tuple[str, datetime, datetime]:
    """The target now running: which, when it warns, when it is due."""
    if clock.first_responded_at is None:
        return "first response", clock.first_response_warn_at, clock.first_response_due
    return "resolution", clock.resolution_warn_at, clock.resolution_due


def state(clock: SlaClock, at: datetime | None = None) -> SlaState:
    if clock.resolved_at is not None:
        kept = (clock.first_responded_at or clock.resolved_at) <= clock.first_response_due
        return (
            SlaState.MET if kept and clock.resolved_at <= clock.resolution_due else SlaState.MISSED
        )
    current = at or now()
    _, warn_at, due = _active(clock)
    if current >= due:
        return SlaState.BREACHED
    if current >= warn_at:
        return SlaState.WARNING
    return SlaState.ON_TIME


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"


def describe(session: Session, clock: SlaClock, at: datetime | None = None) -> str:
    """ "First response: 2 h 10 min left (business hours)" or "Resolution: overdue by 35 min"."""
    current = at or now()
    current_state = state(clock, current)
    if clock.resolved_at is not None:
        return STATE_LABELS[current_state]
    target, _, due = _active(clock)
    left = business_hours.between(calendar_for(session, clock.team), current, due)
    if current_state == SlaState.BREACHED:
        return f"{target.capitalize()}: overdue by {_span(left)} (business hours)"
    return f"{target.capitalize()}: {_span(left)} left (business hours)"


def clocks_for(session: Session, item_type: str, ids: Iterable[int]) -> dict[int, SlaClock]:
    wanted = set(ids)
    if not wanted:
        return {}
    found = session.scalars(
        select(SlaClock).where(SlaClock.item_type == item_type, SlaClock.item_id.in_(wanted))
    )
    return {clock.item_id: clock for clock in found}


# -- the tick's step ---------------------------------------------------------------------------


# Resolved work gets a clock too when it is this recent, so the dashboard's weekly share
# covers work settled before the clocks existed; older history is left alone.
BACKFILL = timedelta(weeks=6)


def _start_missing(session: Session) -> int:
    since = now() - BACKFILL
    rules: dict[tuple[str, str], tuple[Calendar, Policy]] = {}
    ticket_clock = exists().where(SlaClock.item_type == "ticket", SlaClock.item_id == Ticket.id)
    alert_clock = exists().where(SlaClock.item_type == "alert", SlaClock.item_id == Alert.id)
    wanted: list[tuple[str, int, str, str, datetime]] = [
        ("ticket", t.id, t.team, t.priority, t.created_at)
        for t in session.scalars(
            select(Ticket)
            .where((Ticket.status != TicketStatus.RESOLVED) | (Ticket.created_at >= since))
            .where(~ticket_clock)
            .order_by(Ticket.id)
        )
    ] + [
        ("alert", a.id, Team.CARE, a.severity, a.created_at)
        for a in session.scalars(
            select(Alert)
            .where((Alert.status != AlertStatus.RESOLVED) | (Alert.created_at >= since))
            .where(~alert_clock)
            .order_by(Alert.id)
        )
    ]
    with session.no_autoflush:
        for item_type, item_id, team, priority, created_at in wanted:
            if (team, priority) not in rules:
                rules[(team, priority)] = (
                    calendar_for(session, team),
                    policy_for(session, team, priority),
                )
            start_clock(
                session, item_type, item_id, team, priority, created_at, rules[(team, priority)]
            )
    session.flush()
    return len(wanted)


# Ids per IN (...) list: well inside SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _first_responses(session: Session, item_type: str, ids: list[int]) -> dict[int, datetime]:
    """Per item, when a person first did something on it (see the module docstring)."""
    found: dict[int, datetime] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(AuditEvent.target_id, func.min(AuditEvent.at))
            .where(
                AuditEvent.target_type == item_type,
                AuditEvent.target_id.in_(chunk),
                AuditEvent.staff_user_id.is_not(None),
                AuditEvent.action.not_in(NOT_A_RESPONSE),
            )
            .group_by(AuditEvent.target_id)
        )
        found.update({item_id: at for item_id, at in rows if item_id is not None})
    return found


def _items(session: Session, item_type: str, ids: list[int]) -> dict[int, Ticket | Alert]:
    items: dict[int, Ticket | Alert] = {}
    for chunk in _chunks(ids):
        if item_type == "ticket":
            items.update(
                {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(chunk)))}
            )
        else:
            items.update(
                {a.id: a for a in session.scalars(select(Alert).where(Alert.id.in_(chunk)))}
            )
    return items


def _escalate(session: Session, clock: SlaClock, item: Ticket | Alert, target: str) -> None:
    hours = session.get(TeamHours, clock.team)
    lead = hours.lead_id if hours is not None else None
    clock.escalated_at = now()
    clock.escalated_to = lead
    if lead is not None and item.assignee_id is None:
        item.assignee_id = lead
        if isinstance(item, Ticket) and item.status == TicketStatus.OPEN:
            item.status = TicketStatus.CLAIMED
    if isinstance(item, Alert) and item.status != AlertStatus.ESCALATED:
        item.status = AlertStatus.ESCALATED
    item.updated_at = now()
    audit.record(
        session, None, "sla_escalated", clock.item_type, clock.item_id, target=target, lead=lead
    )


def sweep(session: Session) -> Mapping[str, int]:
    """Start missing clocks, note responses and resolutions, warn, and escalate. Idempotent:
    a second run at the same moment changes nothing. Reads in a few batched queries, not a
    few per item, and never flushes half-way (autoflush over many rows is what makes it slow)."""
    counts = {"sla_started": _start_missing(session), "sla_warned": 0, "sla_escalated": 0}
    current = now()
    with session.no_autoflush:
        clocks = list(
            session.scalars(
                select(SlaClock).where(SlaClock.resolved_at.is_(None)).order_by(SlaClock.id)
            )
        )
        items: dict[tuple[str, int], Ticket | Alert] = {}
        answered: dict[tuple[str, int], datetime] = {}
        for item_type in ("ticket", "alert"):
            ids = [c.item_id for c in clocks if c.item_type == item_type]
            items.update(
                {(item_type, i): item for i, item in _items(session, item_type, ids).items()}
            )
            waiting = [
                c.item_id
                for c in clocks
                if c.item_type == item_type and c.first_responded_at is None
            ]
            answered.update(
                {
                    (item_type, i): at
                    for i, at in _first_responses(session, item_type, waiting).items()
                }
            )
        for clock in clocks:
            item = items.get((clock.item_type, clock.item_id))
            if item is not None:
                _settle(session, clock, item, answered, counts, current)
    return counts


def _settle(
    session: Session,
    clock: SlaClock,
    item: Ticket | Alert,
    answered: Mapping[tuple[str, int], datetime],
    counts: dict[str, int],
    current: datetime,
) -> None:
    if clock.first_responded_at is None:
        clock.first_responded_at = answered.get((clock.item_type, clock.item_id))
    if item.status == "resolved" and item.resolved_at is not None:
        clock.resolved_at = item.resolved_at
        clock.first_responded_at = clock.first_responded_at or item.resolved_at
        return
    target, warn_at, due = _active(clock)
    if current >= due and (clock.escalated_at is None or clock.escalated_at < due):
        _escalate(session, clock, item, target)
        clock.warned_at = clock.warned_at or current
        counts["sla_escalated"] += 1
    elif warn_at <= current < due and (clock.warned_at is None or clock.warned_at < warn_at):
        clock.warned_at = current
        audit.record(
            session,
            None,
            "sla_warning",
            clock.item_type,
            clock.item_id,
            target=target,
            due=due.isoformat(),
        )
        counts["sla_warned"] += 1


def tick_step() -> Mapping[str, int]:
    with db.session() as session:
        counts = sweep(session)
        session.commit()
    return counts


# -- the dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekShare:
    team: str
    week: str  # ISO year and week, "2026-W49"
    met: int
    total: int

    @property
    def share(self) -> float:
        return self.met / self.total if self.total else 0.0


def share_met(session: Session, weeks: int = 6) -> list[WeekShare]:
    """Per team and ISO week the item was opened: of the items whose promise is settled
    (resolved, or open past a due time), how many kept both targets."""
    current = now()
    since = current - timedelta(weeks=weeks)
    tally: dict[tuple[str, str], list[int]] = {}
    for clock in session.scalars(select(SlaClock).where(SlaClock.started_at >= since)):
        settled = state(clock, current)
        if settled not in (SlaState.MET, SlaState.MISSED, SlaState.BREACHED):
            continue
        year, week, _ = clock.started_at.isocalendar()
        counts = tally.setdefault((clock.team, f"{year}-W{week:02d}"), [0, 0])
        counts[0] += settled == SlaState.MET
        counts[1] += 1
    return [
        WeekShare(team, week, met, total)
        for (team, week), (met, total) in sorted(tally.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
