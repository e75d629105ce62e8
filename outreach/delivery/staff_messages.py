"""A message from staff to a contractor, sent by the same protocol as surveys: consent is read
when it goes, it is paced, and it waits for 08:00-20:00 in the contractor's zone. At most once:
the Message row is the work item, claimed ``scheduled -> sending`` before the call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.clock import now
from outreach import consent, quiet_hours
from outreach.channels import Channel, OutboundMessage
from outreach.consent import Reach
from outreach.delivery.protocol import Declined, call_provider
from outreach.delivery.refusals import Verdict
from outreach.models import Channel as ChannelName
from outreach.models import Contractor, Direction, Message, MessageStatus
from outreach.pacing import Pacer
from outreach.schedule import in_hard_window


def queue_staff_message(
    session: Session,
    contractor_id: int,
    channel: str,
    body: str,
    *,
    staff_user_id: int,
    subject: str | None = None,
) -> Message:
    """Store a staff message for the dispatcher to send when it may."""
    contractor = session.get_one(Contractor, contractor_id)
    to = contractor.phone if channel == ChannelName.SMS else contractor.email
    if not to:
        raise ValueError(f"channel: {contractor.name} has no {channel} address")
    message = Message(
        direction=Direction.OUTBOUND,
        channel=channel,
        contractor_id=contractor.id,
        from_address="",
        to_address=to,
        subject=subject,
        body=body,
        status=MessageStatus.SCHEDULED,
        payload={"staff_user_id": staff_user_id},
    )
    session.add(message)
    session.flush()
    return message


def sendable_staff_message_ids(session: Session, limit: int = 500) -> list[int]:
    """Queued staff messages whose contractor is inside 08:00-20:00 and whose time has come."""
    current = now()
    waiting = (
        select(Message.id)
        .join(Contractor, Contractor.id == Message.contractor_id)
        .where(
            Message.direction == Direction.OUTBOUND,
            Message.status == MessageStatus.SCHEDULED,
            or_(Message.not_before.is_(None), Message.not_before <= current),
        )
    )
    zones = session.scalars(waiting.with_only_columns(Contractor.timezone).distinct()).all()
    open_zones = [z for z in zones if in_hard_window(current, z)]
    if not open_zones:
        return []
    return list(
        session.scalars(
            waiting.where(Contractor.timezone.in_(open_zones)).order_by(Message.id).limit(limit)
        )
    )


def send_staff_message(
    session: Session,
    message_id: int,
    channels: Mapping[str, Channel],
    *,
    sender: str,
    pacer: Pacer | None = None,
) -> str:
    """Send one queued staff message at most once. Returns its status."""
    claimed = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.SCHEDULED)
        .values(status=MessageStatus.SENDING, from_address=sender)
    )
    session.commit()
    message = session.get_one(Message, message_id)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return message.status
    contractor = session.get_one(Contractor, message.contractor_id)

    def last_look() -> Declined | None:
        if not in_hard_window(now(), contractor.timezone):
            return Declined.WINDOW
        # A survey flow's next step is a survey text: the state's quiet hours hold it too.
        if (message.payload or {}).get("conversation_id") and not quiet_hours.permits(
            now(), contractor.timezone, contractor.state
        ):
            return Declined.WINDOW
        consents = consent.consents_for(
            session, [message.to_address, contractor.phone, contractor.email]
        )
        if consent.reach_of(consents, message.to_address) is not Reach.OK:
            return Declined.STOP
        # A "no" on the contractor's other address stops this one too, as for surveys.
        if consent.any_opted_out(consents):
            return Declined.STOP
        return None

    outbound = OutboundMessage(
        to=message.to_address, body=message.body, message_id=message.id, subject=message.subject
    )
    attempt = call_provider(
        session,
        message,
        outbound,
        channels[message.channel],
        sender=sender,
        attempt=message.send_attempts,
        last_look=last_look,
        pacer=pacer,
    )
    if attempt.timed_out:
        _hand_back(message, timedelta(seconds=5))
    elif attempt.declined is Declined.WINDOW:
        _hand_back(message, timedelta(seconds=60))
    elif attempt.declined is not None:
        message.status = MessageStatus.SUPPRESSED
    elif attempt.refusal is not None:
        message.send_attempts = attempt.refusal.attempts
        if attempt.refusal.verdict is Verdict.RETRY:
            assert attempt.refusal.retry_at is not None
            message.status = MessageStatus.SCHEDULED
            message.not_before = attempt.refusal.retry_at
    session.commit()
    session.refresh(message)
    return message.status


def _hand_back(message: Message, wait: timedelta) -> None:
    """Back to the queue untouched: the provider never saw this attempt."""
    message.status = MessageStatus.SCHEDULED
    message.not_before = now() + wait
