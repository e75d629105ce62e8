"""The conversation on a ticket or alert: who the contractor is and how we may reach them,
every message between us in either direction, and replying from the work. No Flask here.

A reply goes through the one delivery path (``contractors.queue_reply`` ->
``outreach.delivery``): consent, quiet hours and pacing apply exactly as for surveys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from outreach.models import Channel, Contractor, Direction, Message
from staff import audit, canned, contractors, worknotes
from staff.contractors import ChannelConsent
from staff.errors import WorkError
from staff.models import NoteKind, WorkNote
from surveys.models import Alert, Ticket

THREAD_LIMIT = 200


@dataclass(frozen=True)
class ContactCard:
    """What staff need before they reach out, consistent with what outreach will do."""

    contractor: Contractor
    consents: list[ChannelConsent]
    local_now: datetime
    window_opens: datetime | None  # None: a message may go now

    @property
    def reachable(self) -> list[str]:
        return [c.channel for c in self.consents if c.may_send]


def contact_card(session: Session, contractor: Contractor) -> ContactCard:
    return ContactCard(
        contractor=contractor,
        consents=contractors.consents(session, contractor),
        local_now=contractors.local_time(contractor),
        window_opens=contractors.next_window_opens(contractor),
    )


def thread(session: Session, contractor: Contractor, limit: int = THREAD_LIMIT) -> list[Message]:
    """Every message to or from the contractor, SMS and email, oldest first (the newest
    ``limit``). Inbound texts stored before anyone knew whose they were (STOP, HELP, a text
    from a number we could not match yet) are matched by address."""
    addresses = [a for a in (contractor.phone, contractor.email) if a]
    newest = list(
        session.scalars(
            select(Message)
            .where(
                or_(
                    Message.contractor_id == contractor.id,
                    and_(
                        Message.direction == Direction.INBOUND,
                        Message.contractor_id.is_(None),
                        Message.from_address.in_(addresses),
                    ),
                )
            )
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
    )
    return newest[::-1]


def waiting_answer(
    session: Session, item: Ticket | Alert, messages: list[Message]
) -> Message | None:
    """The contractor's newest message when nobody has acted on the item since it came: the
    flag that says "they answered" on an open ticket or alert."""
    if item.status == "resolved":
        return None
    inbound = [m for m in messages if m.direction == Direction.INBOUND]
    if not inbound or inbound[-1].created_at < item.created_at:
        return None
    newest = inbound[-1]
    column = WorkNote.ticket_id if isinstance(item, Ticket) else WorkNote.alert_id
    last_note = session.scalar(select(func.max(WorkNote.created_at)).where(column == item.id))
    last_sent = max(
        (
            m.created_at
            for m in messages
            if m.direction == Direction.OUTBOUND and m.payload.get("staff_user_id")
        ),
        default=None,
    )
    acted = max((t for t in (last_note, last_sent) if t is not None), default=None)
    return newest if acted is None or newest.created_at > acted else None


def _item(session: Session, kind: str, item_id: int) -> Ticket | Alert:
    item: Ticket | Alert | None = (
        session.get(Ticket, item_id) if kind == "ticket" else session.get(Alert, item_id)
    )
    if item is None:
        raise WorkError(f"There is no {kind} #{item_id}.", "body")
    return item


def reply_on_work(
    session: Session,
    kind: str,
    item_id: int,
    channel: str,
    body: str,
    subject: str | None = None,
    *,
    canned_id: int | None = None,
    by: int,
) -> Message:
    """Queue a message to the contractor of a ticket or alert and note it on the work.

    A canned reply fills an empty body (its variables filled for this contractor).

    Raises:
        WorkError: no contractor, bad channel, text, consent or address; names the field.
    """
    item = _item(session, kind, item_id)
    if item.contractor_id is None:
        raise WorkError(f"{kind.capitalize()} #{item_id} has no contractor to write to.", "body")
    contractor = contractors.get_contractor(session, item.contractor_id)
    if canned_id is not None and not (body or "").strip():
        body = canned.fill(session, canned_id, contractor)
    if channel == Channel.EMAIL and not (subject or "").strip():
        subject = "About your assignment"
    message = contractors.queue_reply(session, contractor.id, channel, body, subject, by=by)
    worknotes.write(
        session, item, NoteKind.TEXT if channel == Channel.SMS else NoteKind.EMAIL, body, by
    )
    audit.record(session, by, "work_reply_queued", kind, item.id, message_id=message.id)
    return message
