"""Unknown senders: texts and emails from an address that matches no contractor. Staff link
them to the contractor they came from, which moves the messages, their replies and the work
raised from them onto that contractor's page and conversation. No Flask here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from outreach.models import Contractor, Direction, Message
from staff import audit
from staff.errors import WorkError, required_text
from surveys.models import Alert, Response, Ticket, alert_responses, ticket_responses


@dataclass(frozen=True)
class Sender:
    address: str
    channel: str
    messages: int
    last_at: datetime
    last_body: str


def _known() -> object:
    return (
        select(Contractor.phone)
        .where(Contractor.phone.is_not(None))
        .union(select(Contractor.email).where(Contractor.email.is_not(None)))
    )


def senders(session: Session, limit: int = 100) -> list[Sender]:
    """Addresses we got messages from and cannot place, the most recent first."""
    rows = session.execute(
        select(
            Message.from_address,
            Message.channel,
            func.count(Message.id),
            func.max(Message.created_at),
        )
        .where(
            Message.direction == Direction.INBOUND,
            Message.contractor_id.is_(None),
            Message.from_address.not_in(_known()),  # type: ignore[arg-type]
        )
        .group_by(Message.from_address, Message.channel)
        .order_by(func.max(Message.created_at).desc())
        .limit(limit)
    ).all()
    found = []
    for address, channel, count, last_at in rows:
        body = session.scalar(
            select(Message.body)
            .where(Message.direction == Direction.INBOUND, Message.from_address == address)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(1)
        )
        found.append(Sender(address, channel, int(count), last_at, body or ""))
    return found


def link(session: Session, address: str, external_id: str, *, by: int) -> tuple[Contractor, int]:
    """Put every unplaced message from ``address`` (and what was read from it) on the
    contractor with ``external_id``. Returns the contractor and how many messages moved.

    Raises:
        WorkError: no such contractor, or nothing from that address to link; names the field.
    """
    wanted = required_text(external_id, "external_id", "The contractor's external ID", 64)
    contractor = session.scalar(select(Contractor).where(Contractor.external_id == wanted))
    if contractor is None:
        raise WorkError(f"No contractor has the external ID {wanted!r}.", "external_id")
    unplaced = (
        Message.direction == Direction.INBOUND,
        Message.contractor_id.is_(None),
        Message.from_address == address,
    )
    response_ids = list(
        session.scalars(
            select(Message.response_id).where(*unplaced, Message.response_id.is_not(None))
        )
    )
    moved = session.execute(update(Message).where(*unplaced).values(contractor_id=contractor.id))
    if not moved.rowcount:  # type: ignore[attr-defined]
        raise WorkError(f"Nothing from {address} is waiting to be linked.", "external_id")
    if response_ids:
        session.execute(
            update(Response)
            .where(Response.id.in_(response_ids), Response.contractor_id.is_(None))
            .values(contractor_id=contractor.id)
        )
        for model, table in ((Ticket, ticket_responses), (Alert, alert_responses)):
            session.execute(
                update(model)
                .where(
                    model.contractor_id.is_(None),
                    model.id.in_(
                        select(table.c[f"{model.__tablename__[:-1]}_id"]).where(
                            table.c.response_id.in_(response_ids)
                        )
                    ),
                )
                .values(contractor_id=contractor.id)
            )
    audit.record(session, by, "unknown_sender_linked", "contractor", contractor.id, address=address)
    return contractor, int(moved.rowcount)  # type: ignore[attr-defined]
