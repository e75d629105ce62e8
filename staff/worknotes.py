"""What staff write while they work a ticket or an alert, kept in one table for both."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from core.clock import now
from staff.models import WorkNote
from surveys.models import Alert, Ticket


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
