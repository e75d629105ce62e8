"""The contractor page: profile, consent, timeline, trend, and replying. No Flask here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.clock import now
from outreach import consent, delivery
from outreach.models import Channel, Consent, Contractor, Direction, Message
from outreach.schedule import HARD_START, in_hard_window, zone
from staff import audit, worknotes
from staff.errors import NotFound, WorkError, required_text
from staff.models import WorkNote
from staff.paging import Page, page_of
from surveys.models import Alert, AlertStatus, Response, Ticket, TicketStatus

SMS_MAX = 1600  # Twilio refuses longer bodies
EMAIL_MAX = 20000
SUBJECT_MAX = 200


def get_contractor(session: Session, contractor_id: int) -> Contractor:
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise NotFound(f"There is no contractor #{contractor_id}.")
    return contractor


@dataclass(frozen=True)
class ContractorRow:
    contractor: Contractor
    open_tickets: int
    open_alerts: int
    last_reply_at: datetime | None


def search(
    session: Session,
    q: str = "",
    client: str = "",
    manager: str = "",
    page: int = 1,
    per_page: int = 50,
) -> Page[ContractorRow]:
    """Contractors by name, external id, phone or email, A to Z."""
    query = select(Contractor)
    if q:
        query = query.where(
            or_(
                *(
                    column.icontains(q.strip(), autoescape=True)
                    for column in (
                        Contractor.name,
                        Contractor.external_id,
                        Contractor.phone,
                        Contractor.email,
                    )
                )
            )
        )
    if client:
        query = query.where(Contractor.client == client)
    if manager:
        query = query.where(Contractor.account_manager == manager)
    total, query = page_of(session, query.order_by(Contractor.name, Contractor.id), page, per_page)
    found = list(session.scalars(query))
    ids = [c.id for c in found]
    tickets = _counts(session, Ticket.contractor_id, Ticket.status != TicketStatus.RESOLVED, ids)
    alerts = _counts(session, Alert.contractor_id, Alert.status != AlertStatus.RESOLVED, ids)
    last = dict(
        session.execute(
            select(Response.contractor_id, func.max(Response.created_at))
            .where(Response.contractor_id.in_(ids))
            .group_by(Response.contractor_id)
        ).all()
    )
    rows = [
        ContractorRow(c, tickets.get(c.id, 0), alerts.get(c.id, 0), last.get(c.id)) for c in found
    ]
    return Page(items=rows, page=page, per_page=per_page, total=total)


def _counts(session: Session, column: Any, condition: Any, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(
        session.execute(
            select(column, func.count()).where(column.in_(ids), condition).group_by(column)
        ).all()
    )


@dataclass(frozen=True)
class ChannelConsent:
    channel: str
    address: str | None
    state: str  # ok | opted_out | invalid | no_address
    since: datetime | None
    detail: str

    @property
    def may_send(self) -> bool:
        return self.state == "ok"


def consents(session: Session, contractor: Contractor) -> list[ChannelConsent]:
    """What each of the contractor's addresses allows, as the sender will see it: an opt-out
    on one address stops every channel (outreach never routes around a "no")."""
    result = _each_address(session, contractor)
    refused = next((c for c in result if c.state == "opted_out"), None)
    if refused is None:
        return result
    label = "SMS" if refused.channel == Channel.SMS else "email"
    return [
        c
        if c.state in ("opted_out", "no_address")
        else ChannelConsent(
            c.channel, c.address, "opted_out", refused.since, f"Stopped: opted out by {label}"
        )
        for c in result
    ]


def _each_address(session: Session, contractor: Contractor) -> list[ChannelConsent]:
    result = []
    for channel, address in ((Channel.SMS, contractor.phone), (Channel.EMAIL, contractor.email)):
        if not address:
            result.append(ChannelConsent(channel, None, "no_address", None, "No address on file"))
            continue
        row = session.scalar(select(Consent).where(Consent.address == address))
        reach = consent.reach(session, address)
        if row is None or reach is consent.Reach.OK:
            since = row.opted_in_at if row is not None else None
            detail = "Opted back in" if since else "No opt-out on record"
            result.append(ChannelConsent(channel, address, "ok", since, detail))
        elif reach is consent.Reach.OPTED_OUT:
            source = (row.source or "unknown").replace("_", " ")
            result.append(
                ChannelConsent(
                    channel, address, "opted_out", row.opted_out_at, f"Opted out ({source})"
                )
            )
        else:
            reason = row.invalid_reason or "provider"
            result.append(
                ChannelConsent(
                    channel, address, "invalid", row.invalid_at, f"Cannot be reached ({reason})"
                )
            )
    return result


@dataclass(frozen=True)
class Entry:
    """One thing on the timeline. ``kind``: sent, received, reply, ticket, alert or note."""

    at: datetime
    kind: str
    item: Any


def timeline(session: Session, contractor: Contractor, role: str, limit: int = 300) -> list[Entry]:
    """Messages, replies, tickets, alerts and staff notes about one contractor, newest first.

    Staff notes only where ``role`` may open the ticket or alert they were written on.
    """
    addresses = [a for a in (contractor.phone, contractor.email) if a]
    messages = session.scalars(
        select(Message)
        .where(
            or_(
                and_(
                    Message.direction == Direction.OUTBOUND,
                    Message.contractor_id == contractor.id,
                ),
                # Inbound texts that are part of a reply show as the reply. Keyword texts
                # (STOP, HELP) are stored before anyone knows whose they are: match by address.
                and_(
                    Message.direction == Direction.INBOUND,
                    Message.response_id.is_(None),
                    or_(
                        Message.contractor_id == contractor.id,
                        and_(
                            Message.contractor_id.is_(None),
                            Message.from_address.in_(addresses),
                        ),
                    ),
                ),
            )
        )
        .order_by(Message.created_at.desc())
        .limit(limit)
    )
    entries = [
        Entry(m.created_at, "sent" if m.direction == Direction.OUTBOUND else "received", m)
        for m in messages
    ]
    # Replies, tickets, alerts and staff notes: each the contractor's newest ``limit``.
    kinds: list[tuple[str, Any]] = [
        ("reply", Response),
        ("ticket", Ticket),
        ("alert", Alert),
        ("note", WorkNote),
    ]
    for kind, model in kinds:
        query = (
            select(model)
            .where(model.contractor_id == contractor.id)
            .order_by(model.created_at.desc(), model.id.desc())
            .limit(limit)
        )
        if model is WorkNote:
            query = query.where(worknotes.visible_to(role)).options(selectinload(WorkNote.author))
        entries += [Entry(row.created_at, kind, row) for row in session.scalars(query)]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def rated_replies(session: Session, contractor_id: int) -> list[Response]:
    """The contractor's replies in time order, for the trend chart."""
    return list(
        session.scalars(
            select(Response)
            .where(Response.contractor_id == contractor_id)
            .order_by(Response.created_at, Response.id)
        )
    )


def tenure_days(contractor: Contractor, today: date | None = None) -> int:
    local = today or now().astimezone(zone(contractor.timezone)).date()
    return (local - contractor.start_date).days


def local_time(contractor: Contractor, at: datetime | None = None) -> datetime:
    return (at or now()).astimezone(zone(contractor.timezone))


def next_window_opens(contractor: Contractor, at: datetime | None = None) -> datetime | None:
    """None when a message may go now; else when 08:00 next comes in the contractor's zone."""
    at = at or now()
    if in_hard_window(at, contractor.timezone):
        return None
    local = local_time(contractor, at)
    opens = local.replace(hour=HARD_START.hour, minute=HARD_START.minute, second=0, microsecond=0)
    if opens <= local:
        opens += timedelta(days=1)
    return opens


def queue_reply(
    session: Session,
    contractor_id: int,
    channel: str,
    body: str,
    subject: str | None = None,
    *,
    by: int,
) -> Message:
    """Queue a message from staff through the delivery path that sends surveys.

    Consent is checked again when it goes, and it waits for 08:00-20:00 in the contractor's
    zone. Refused here when we already know it could not go, so staff hear it at once.

    Raises:
        WorkError: bad channel, empty or too long text, no usable address; names the field.
    """
    if channel not in (Channel.SMS, Channel.EMAIL):
        raise WorkError(f"Channel {channel!r} is not sms or email.", "channel")
    contractor = get_contractor(session, contractor_id)
    limit = SMS_MAX if channel == Channel.SMS else EMAIL_MAX
    text = required_text(body, "body", "The message", limit)
    title: str | None = None
    if channel == Channel.EMAIL:
        title = required_text(subject, "subject", "The subject", SUBJECT_MAX)
    status = next(c for c in consents(session, contractor) if c.channel == channel)
    if status.state == "no_address":
        raise WorkError(f"{contractor.name} has no {channel} address on file.", "channel")
    if status.state == "opted_out":
        raise WorkError(
            f"{contractor.name} opted out of {channel} messages; nothing can be sent there.",
            "channel",
        )
    if status.state == "invalid":
        raise WorkError(f"{status.address} cannot be reached: {status.detail}.", "channel")
    message = delivery.queue_staff_message(
        session, contractor.id, channel, text, staff_user_id=by, subject=title
    )
    audit.record(
        session,
        by,
        "reply_queued",
        "contractor",
        contractor.id,
        message_id=message.id,
        channel=channel,
    )
    return message
