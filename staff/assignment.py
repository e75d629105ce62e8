"""Who works it: the rules that hand out unassigned tickets and alerts. No Flask.

The contractor's owner (their account manager, when that is a staff user on the team) gets it
first; otherwise the team takes turns (round robin) among people under the per-person cap.
Unassigned work is handed out oldest first, so a queue drains in the order it filled. Every
hand-out is an audit event with no staff user (the rules did it), naming the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.clock import now
from core.db import db
from outreach.models import Contractor
from staff import audit
from staff.errors import NotFound, WorkError
from staff.models import StaffUser
from staff.work_models import AssignmentTurn, TeamHours
from surveys.models import Alert, AlertStatus, Team, Ticket, TicketStatus

DEFAULT_CAP = 10


def _name_of(email: str) -> str:
    """ "lee.park@firm.example" reads as "lee park": how a roster names its account manager."""
    return re.sub(r"[._-]+", " ", email.split("@", 1)[0]).strip().lower()


def members(session: Session, team: str) -> list[StaffUser]:
    """The people on ``team`` the rules may give work to, in a fixed order for the turns."""
    return list(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role == team)
            .order_by(StaffUser.id)
        )
    )


def owner_of(contractor: Contractor | None, team_members: Sequence[StaffUser]) -> StaffUser | None:
    if contractor is None or not contractor.account_manager:
        return None
    wanted = contractor.account_manager.strip().lower()
    for person in team_members:
        if person.email.lower() == wanted or _name_of(person.email) == wanted:
            return person
    return None


def cap_for(session: Session, team: str) -> int:
    hours = session.get(TeamHours, team)
    return hours.per_person_cap if hours is not None else DEFAULT_CAP


def open_load(session: Session, team: str) -> dict[int, int]:
    """Open items each person holds on this team's queue."""
    load: dict[int, int] = {}
    tickets = session.execute(
        select(Ticket.assignee_id, func.count())
        .where(
            Ticket.team == team,
            Ticket.status != TicketStatus.RESOLVED,
            Ticket.assignee_id.is_not(None),
        )
        .group_by(Ticket.assignee_id)
    )
    for person, count in tickets:
        if person is not None:
            load[person] = load.get(person, 0) + count
    if team == Team.CARE:
        alerts = session.execute(
            select(Alert.assignee_id, func.count())
            .where(Alert.status != AlertStatus.RESOLVED, Alert.assignee_id.is_not(None))
            .group_by(Alert.assignee_id)
        )
        for person, count in alerts:
            if person is not None:
                load[person] = load.get(person, 0) + count
    return load


def _next_in_turn(
    session: Session,
    team: str,
    team_members: Sequence[StaffUser],
    load: Mapping[int, int],
    cap: int,
) -> StaffUser | None:
    turn = session.get(AssignmentTurn, team)
    if turn is None:
        turn = AssignmentTurn(team=team, last_staff_user_id=None)
        session.add(turn)
    ids = [p.id for p in team_members]
    start = ids.index(turn.last_staff_user_id) + 1 if turn.last_staff_user_id in ids else 0
    for offset in range(len(ids)):
        person = team_members[(start + offset) % len(ids)]
        if load.get(person.id, 0) < cap:
            turn.last_staff_user_id = person.id
            return person
    return None


def _unassigned(session: Session, team: str) -> list[Ticket | Alert]:
    items: list[Ticket | Alert] = list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.team == team,
                Ticket.status != TicketStatus.RESOLVED,
                Ticket.assignee_id.is_(None),
            )
            .options(selectinload(Ticket.contractor))
        )
    )
    if team == Team.CARE:
        items += list(
            session.scalars(
                select(Alert)
                .where(Alert.status != AlertStatus.RESOLVED, Alert.assignee_id.is_(None))
                .options(selectinload(Alert.contractor))
            )
        )
    return sorted(items, key=lambda item: (item.created_at, isinstance(item, Alert), item.id))


def _give(session: Session, item: Ticket | Alert, person: StaffUser, rule: str) -> None:
    item.assignee_id = person.id
    if isinstance(item, Ticket) and item.status == TicketStatus.OPEN:
        item.status = TicketStatus.CLAIMED
    item.updated_at = now()
    kind = "ticket" if isinstance(item, Ticket) else "alert"
    audit.record(
        session, None, f"{kind}_assigned", kind, item.id, before=None, after=person.id, rule=rule
    )


def drain(session: Session, team: str) -> int:
    """Hand out the team's unassigned open work, oldest first, until it is all given or every
    person is at the cap. Returns how many items were handed out."""
    team_members = members(session, team)
    if not team_members:
        return 0
    cap = cap_for(session, team)
    load = open_load(session, team)
    given = 0
    for item in _unassigned(session, team):
        owner = owner_of(item.contractor, team_members)
        if owner is not None and load.get(owner.id, 0) < cap:
            person, rule = owner, "owner"
        else:
            found = _next_in_turn(session, team, team_members, load, cap)
            if found is None:
                break  # everyone is full: the rest waits, oldest still first
            person, rule = found, "round_robin"
        _give(session, item, person, rule)
        load[person.id] = load.get(person.id, 0) + 1
        given += 1
    return given


def tick_step() -> Mapping[str, int]:
    with db.session() as session:
        given = drain(session, Team.SUPPORT) + drain(session, Team.CARE)
        session.commit()
    return {"auto_assigned": given}


def assign_alert(session: Session, alert_id: int, assignee_id: int | None, *, by: int) -> Alert:
    """Give an alert to someone on Care (or admin), or back to the queue; audited as a
    reassignment with who had it before."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"There is no alert #{alert_id}.")
    if alert.status == AlertStatus.RESOLVED:
        raise WorkError(f"Alert #{alert.id} is resolved.", "status")
    if assignee_id is not None:
        person = session.get(StaffUser, assignee_id)
        if person is None or not person.active or person.role not in (Team.CARE, "admin"):
            raise WorkError("Alerts go to someone active on Care.", "assignee")
    before = alert.assignee_id
    alert.assignee_id = assignee_id
    alert.updated_at = now()
    audit.record(session, by, "alert_assigned", "alert", alert.id, before=before, after=assignee_id)
    return alert
