"""What staff write while they work a ticket or an alert, kept in one table for both."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session, selectinload

from core.clock import now
from staff.models import Role, WorkNote
from surveys.models import Alert, Team, Ticket


def write(session: Session, on: Ticket | Alert, kind: str, body: str, by: int) -> WorkNote:
    note = WorkNote(
        ticket_id=on.id if isinstance(on, Ticket) else None,
        alert_id=on.id if isinstance(on, Alert) else None,
        contractor_id=on.contractor_id,
        staff_user_id=by,
        kind=kind,
        body=body,
        created_at=now(),
    )
    session.add(note)
    return note


def on_ticket(session: Session, ticket_id: int) -> list[WorkNote]:
    return _read(session, WorkNote.ticket_id == ticket_id)


def on_alert(session: Session, alert_id: int) -> list[WorkNote]:
    return _read(session, WorkNote.alert_id == alert_id)


def _read(session: Session, where: ColumnElement[bool]) -> list[WorkNote]:
    return list(
        session.scalars(
            select(WorkNote)
            .where(where)
            .options(selectinload(WorkNote.author))
            .order_by(WorkNote.created_at, WorkNote.id)
        )
    )


def visible_to(role: str) -> ColumnElement[bool]:
    """The notes ``role`` may read: those on a ticket or alert whose page it may open.

    The same rule as ``inbox.can_view_ticket`` and ``inbox.can_view_alert``, as SQL, so a page
    that lists notes outside their ticket or alert (the contractor timeline) shows Support
    none of Care's calls, escalations and resolutions, and Care none of Support's own tickets.
    """
    if role == Role.ADMIN:
        return true()
    if role == Role.SUPPORT:
        return WorkNote.alert_id.is_(None)
    if role == Role.CARE:
        care_tickets = select(Ticket.id).where(Ticket.team == Team.CARE)
        return or_(WorkNote.alert_id.is_not(None), WorkNote.ticket_id.in_(care_tickets))
    raise ValueError(f"no such role: {role!r}")
