"""Support's work on tickets: claim, assign, status, notes, hand-offs, resolution. No Flask.

Each function changes the ticket in the caller's session, records an audit event with it, and
leaves the commit to the caller, so the change and its audit trail are stored together.
"""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, selectinload

from core.clock import now
from staff import audit, queue_filters, worknotes
from staff.errors import NotFound, WorkError, required_text
from staff.models import NoteKind, Role, StaffUser, WorkNote
from staff.paging import Page, page_of
from staff.queue_filters import Filters
from surveys.categories import PRIORITIES
from surveys.models import Team, Ticket, TicketStatus

OPEN, CLAIMED, ESCALATED, RESOLVED = tuple(TicketStatus)
STATUSES: tuple[str, ...] = tuple(TicketStatus)
STATUS_LABELS: dict[str, str] = {
    OPEN: "Open, nobody has it",
    CLAIMED: "Claimed, being worked",
    ESCALATED: "Escalated, waiting on the client, payroll or the account manager",
    RESOLVED: "Resolved",
}
PRIORITY_RANK = {p: n for n, p in enumerate(PRIORITIES)}
QUEUE_VIEWS = ("open", "mine", "unassigned", "resolved")


def can_work(role: str, ticket: Ticket) -> bool:
    """The team that has the ticket works it; admin works anything."""
    return role == Role.ADMIN or role == ticket.team


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.scalars(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(selectinload(Ticket.contractor), selectinload(Ticket.responses))
    ).first()
    if ticket is None:
        raise NotFound(f"There is no ticket #{ticket_id}.")
    return ticket


def notes(session: Session, ticket_id: int) -> list[WorkNote]:
    return worknotes.on_ticket(session, ticket_id)


def workers_for(session: Session, team: str) -> list[StaffUser]:
    """Active staff who may be given a ticket that ``team`` has."""
    return list(
        session.scalars(
            select(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role.in_((team, Role.ADMIN)))
            .order_by(StaffUser.email)
        )
    )


def _open(ticket: Ticket) -> None:
    if ticket.status == RESOLVED:
        raise WorkError(f"Ticket #{ticket.id} is resolved; reopen it first.", "status")


def claim(session: Session, ticket_id: int, *, by: int) -> Ticket:
    """Take an unclaimed ticket. Two people claiming at once: the first one gets it."""
    taken = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.assignee_id.is_(None), Ticket.status != RESOLVED)
        .values(assignee_id=by, status=CLAIMED, updated_at=now())
    )
    ticket = get_ticket(session, ticket_id)
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        _open(ticket)
        holder = session.get(StaffUser, ticket.assignee_id) if ticket.assignee_id else None
        raise WorkError(
            f"Ticket #{ticket.id} is already claimed by {holder.email if holder else 'someone'}."
        )
    session.refresh(ticket)
    audit.record(session, by, "ticket_claimed", "ticket", ticket.id)
    return ticket


def assign(session: Session, ticket_id: int, assignee_id: int | None, *, by: int) -> Ticket:
    """Give the ticket to someone on its team, or to nobody (back to the queue)."""
    ticket = get_ticket(session, ticket_id)
    _open(ticket)
    before = ticket.assignee_id
    if assignee_id is not None:
        assignee = session.get(StaffUser, assignee_id)
        if assignee is None or not assignee.active:
            raise WorkError("That staff member does not exist or is switched off.", "assignee")
        if assignee.role not in (ticket.team, Role.ADMIN):
            raise WorkError(
                f"{assignee.email} is on {assignee.role}, and this ticket is with "
                f"{ticket.team.capitalize()}.",
                "assignee",
            )
    ticket.assignee_id = assignee_id
    if assignee_id is None:
        ticket.status = OPEN
    elif ticket.status == OPEN:
        ticket.status = CLAIMED
    ticket.updated_at = now()
    audit.record(
        session, by, "ticket_assigned", "ticket", ticket.id, before=before, after=assignee_id
    )
    return ticket


def set_status(session: Session, ticket_id: int, status: str, *, by: int) -> Ticket:
    """Move the ticket between open, claimed and escalated, or reopen a resolved one."""
    if status not in STATUSES:
        raise WorkError(f"Status {status!r} is not one of {', '.join(STATUSES)}.", "status")
    if status == RESOLVED:
        raise WorkError(
            "Resolve the ticket with the Resolve form: it asks for a resolution.", "status"
        )
    ticket = get_ticket(session, ticket_id)
    before = ticket.status
    if before == status:
        raise WorkError(f"Ticket #{ticket.id} is already {status}.", "status")
    ticket.status = status
    if status == OPEN:
        ticket.assignee_id = None  # back in the queue for anyone to claim
    elif ticket.assignee_id is None:
        ticket.assignee_id = by
    if before == RESOLVED:
        ticket.resolved_at = None
    ticket.updated_at = now()
    audit.record(
        session, by, "ticket_status_changed", "ticket", ticket.id, before=before, after=status
    )
    return ticket


def add_note(session: Session, ticket_id: int, body: str, *, by: int) -> WorkNote:
    """An internal note: staff read it, the contractor never does."""
    text = required_text(body, "body", "The note")
    ticket = get_ticket(session, ticket_id)
    note = worknotes.write(session, ticket, NoteKind.NOTE, text, by)
    ticket.updated_at = now()
    session.flush()
    audit.record(session, by, "ticket_note_added", "ticket", ticket.id, note_id=note.id)
    return note


def hand_off(session: Session, ticket_id: int, team: str, reason: str, *, by: int) -> Ticket:
    """Hand the ticket to the other team (Support to Care, or back), saying why.

    It arrives unclaimed, at the top of the other team's queue by priority and age.
    """
    if team not in (Team.SUPPORT, Team.CARE):
        raise WorkError(f"Team {team!r} is not support or care.", "team")
    text = required_text(reason, "reason", "The reason for the hand-off")
    ticket = get_ticket(session, ticket_id)
    _open(ticket)
    if ticket.team == team:
        raise WorkError(f"Ticket #{ticket.id} is already with {team.capitalize()}.", "team")
    before = ticket.team
    ticket.team = team
    ticket.assignee_id = None
    ticket.status = OPEN
    ticket.updated_at = now()
    worknotes.write(
        session,
        ticket,
        NoteKind.HAND_OFF,
        f"{before.capitalize()} → {team.capitalize()}: {text}",
        by,
    )
    audit.record(session, by, "ticket_handed_off", "ticket", ticket.id, before=before, after=team)
    return ticket


def resolve(session: Session, ticket_id: int, resolution: str, *, by: int) -> Ticket:
    text = required_text(resolution, "resolution", "The resolution")
    ticket = get_ticket(session, ticket_id)
    _open(ticket)
    current = now()
    ticket.status = RESOLVED
    ticket.resolution = text
    ticket.resolved_at = current
    ticket.updated_at = current
    if ticket.assignee_id is None:
        ticket.assignee_id = by
    audit.record(session, by, "ticket_resolved", "ticket", ticket.id)
    return ticket


def priority_order() -> object:
    return case(PRIORITY_RANK, value=Ticket.priority, else_=len(PRIORITIES))


def queue(
    session: Session,
    team: str,
    *,
    view: str = "open",
    user_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    filters: Filters | None = None,
) -> Page[Ticket]:
    """A team's tickets, urgent first, then the oldest first within each priority.

    ``view``: open (everything not resolved), mine, unassigned, or resolved (newest first);
    ``filters`` narrow and re-sort it (see :mod:`staff.queue_filters`).
    """
    if view not in QUEUE_VIEWS:
        raise WorkError(f"view={view!r} is not one of {', '.join(QUEUE_VIEWS)}.", "view")
    query = select(Ticket).where(Ticket.team == team)
    if view == "resolved":
        query = query.where(Ticket.status == RESOLVED).order_by(
            Ticket.resolved_at.desc(), Ticket.id.desc()
        )
    else:
        query = query.where(Ticket.status != RESOLVED)
        if view == "mine":
            query = query.where(Ticket.assignee_id == user_id)
        elif view == "unassigned":
            query = query.where(Ticket.assignee_id.is_(None))
        query = query.order_by(priority_order(), Ticket.created_at, Ticket.id)  # type: ignore[arg-type]
    if filters is not None:
        query = queue_filters.narrow_tickets(query, filters, now(), priority_order())
    total, query = page_of(session, query.options(selectinload(Ticket.contractor)), page, per_page)
    items = list(session.scalars(query))
    return Page(items=items, page=page, per_page=per_page, total=total)
