"""Sending invitations: consent, the window, one provider call per invitation, statuses.

The rule for the crash window: an invitation is moved from ``scheduled`` to ``sending`` in its
own committed transaction before the provider is called, and nothing ever moves it back once the
provider may have seen it. A worker killed between that commit and the provider's answer
leaves the invitation ``sending``: it is never sent again by us (at most once — a contractor who
misses one pulse is better off than one who gets two), and a later status callback carrying our
message id, or the tick's reconciliation, settles it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core import config
from core.clock import now
from core.db import db
from core.queue import OUTBOUND, Drain
from outreach import consent
from outreach.channels import Channel, ChannelError, Failure, OutboundMessage
from outreach.consent import Reach
from outreach.models import Channel as ChannelName
from outreach.models import Contractor, Direction, Message
from outreach.schedule import in_hard_window, in_send_window
from surveys.models import Invitation, InvitationStatus, Survey

log = logging.getLogger(__name__)

OUTBOUND_DRAIN = Drain("pulse:drain:outbound", OUTBOUND, "outreach.delivery.dispatch", linger=0.0)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# After this long in "sending" with no provider answer, a send is presumed lost, not retried.
SENDING_GIVE_UP = timedelta(minutes=15)

# Provider message statuses, ranked so that a late or repeated callback never moves a
# message backwards (Twilio delivers callbacks out of order).
STATUS_RANK: Mapping[str, int] = {
    "sending": 0,
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "partially_delivered": 4,
}
_INVITATION_RANK: Mapping[str, int] = {
    InvitationStatus.SCHEDULED: 0,
    InvitationStatus.SENDING: 1,
    InvitationStatus.SENT: 2,
    InvitationStatus.DELIVERED: 3,
    InvitationStatus.FAILED: 3,
    InvitationStatus.ANSWERED: 4,
    InvitationStatus.EXPIRED: 4,
    InvitationStatus.SKIPPED: 4,
}


def retry_later(invitation: Invitation, retry_after: float | None) -> None:
    """Back to ``scheduled`` with exponential backoff and full jitter, or the provider's own
    Retry-After when it gave one; expiry still stops it from going out late."""
    invitation.send_attempts += 1
    if retry_after is not None:
        delay = timedelta(seconds=retry_after)
    else:
        ceiling = min(BACKOFF_BASE * 2 ** (invitation.send_attempts - 1), BACKOFF_MAX)
        delay = ceiling * random.random()
    invitation.status = InvitationStatus.SCHEDULED
    invitation.status_changed_at = now()
    invitation.not_before = now() + delay


def advance_invitation(invitation: Invitation, status: InvitationStatus) -> bool:
    """Move an invitation's status forward only; return whether it moved."""
    if _INVITATION_RANK[status] <= _INVITATION_RANK[InvitationStatus(invitation.status)]:
        return False
    invitation.status = status
    invitation.status_changed_at = now()
    return True


def render(template: str, contractor: Contractor, survey: Survey) -> str:
    first_name = contractor.name.split()[0] if contractor.name.strip() else "there"
    return template.format(
        first_name=first_name,
        name=contractor.name,
        client=contractor.client,
        scale_max=survey.scale_max,
    )


def _claim(session: Session, invitation_id: int) -> bool:
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status == InvitationStatus.SCHEDULED)
        .values(status=InvitationStatus.SENDING, status_changed_at=now())
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def _outbound(
    contractor: Contractor,
    invitation: Invitation,
    survey: Survey,
    channel_name: str,
    settings_from: str,
    reply_domain: str,
) -> tuple[Message, dict[str, Any]]:
    if channel_name == ChannelName.SMS:
        body = render(survey.sms_template, contractor, survey)
        to = contractor.phone or ""
        extra: dict[str, Any] = {}
    else:
        body = render(survey.email_template, contractor, survey)
        to = contractor.email or ""
        extra = {
            "subject": render(survey.email_subject, contractor, survey),
            "reply_to": f"reply+{invitation.reply_token}@{reply_domain}",
        }
    message = Message(
        direction=Direction.OUTBOUND,
        channel=channel_name,
        contractor_id=contractor.id,
        invitation_id=invitation.id,
        from_address=settings_from,
        to_address=to,
        subject=extra.get("subject"),
        body=body,
        status="sending",
        payload={},
    )
    return message, extra


def send_invitation(
    session: Session,
    invitation_id: int,
    channels: Mapping[str, Channel],
    *,
    senders: Mapping[str, str],
    reply_domain: str,
) -> str:
    """Send one invitation at most once. Returns what became of it (its status).

    Args:
        channels: provider channels by name ("sms", "email").
        senders: the from-address we record per channel.
        reply_domain: the inbound-parse domain for ``reply+<token>@`` addresses.
    """
    if not _claim(session, invitation_id):
        invitation = session.get(Invitation, invitation_id)
        return invitation.status if invitation else "missing"
    invitation = session.get_one(Invitation, invitation_id)
    contractor, survey = invitation.contractor, invitation.survey

    order = [invitation.channel] + [
        c for c in (ChannelName.SMS, ChannelName.EMAIL) if c != invitation.channel
    ]
    for channel_name in order:
        address = contractor.phone if channel_name == ChannelName.SMS else contractor.email
        reach = consent.reach(session, address)
        if reach is Reach.OPTED_OUT:
            break  # a contractor who said stop gets no survey by another route either
        if reach is Reach.UNREACHABLE:
            continue
        message, extra = _outbound(
            contractor, invitation, survey, channel_name, senders[channel_name], reply_domain
        )
        session.add(message)
        session.commit()
        try:
            result = channels[channel_name].send(
                OutboundMessage(
                    to=message.to_address,
                    body=message.body,
                    message_id=message.id,
                    subject=extra.get("subject"),
                    reply_to=extra.get("reply_to"),
                    invitation_id=invitation.id,
                )
            )
        except ChannelError as exc:
            message.status = "failed"
            message.error_code = exc.code
            if exc.failure is Failure.OPTED_OUT:
                consent.record_opt_out(
                    session, message.to_address, channel_name, source=exc.code or "provider"
                )
            elif exc.failure is Failure.BAD_ADDRESS:
                consent.mark_invalid(
                    session, message.to_address, channel_name, reason=exc.code or "provider"
                )
            elif exc.failure is Failure.RETRY:
                # The provider did not take it, so handing it back to the schedule is safe.
                retry_later(invitation, exc.retry_after)
                invitation.channel = channel_name
                session.commit()
                log.warning("invitation %s: provider asked us to retry (%s)", invitation.id, exc)
                return invitation.status
            session.commit()
            if exc.failure is Failure.OPTED_OUT:
                break
            if exc.failure is Failure.BAD_ADDRESS:
                continue  # fall back to the other channel if the contractor has one
            advance_invitation(invitation, InvitationStatus.FAILED)
            session.commit()
            return invitation.status
        message.provider_id = result.provider_id
        message.status = result.status
        invitation.channel = channel_name
        invitation.sent_at = now()
        advance_invitation(invitation, InvitationStatus.SENT)
        session.commit()
        return invitation.status

    advance_invitation(invitation, InvitationStatus.SKIPPED)
    session.commit()
    return invitation.status


def apply_provider_status(
    session: Session,
    *,
    provider_id: str,
    status: str,
    error_code: str | None = None,
    message_id: int | None = None,
) -> bool:
    """Record a provider's status report. Returns False when it changed nothing."""
    message = session.scalar(select(Message).where(Message.provider_id == provider_id))
    if message is None and message_id is not None:
        # Our worker died after the provider accepted the message but before it recorded the
        # provider id; the callback carries our id and settles the send.
        message = session.get(Message, message_id)
        if message is not None and message.provider_id is None:
            message.provider_id = provider_id
    if message is None or message.direction != Direction.OUTBOUND:
        return False
    if STATUS_RANK.get(status, -1) <= STATUS_RANK.get(message.status, -1):
        return False
    message.status = status
    if error_code:
        message.error_code = error_code
    if message.invitation_id is not None:
        invitation = session.get_one(Invitation, message.invitation_id)
        if status in ("sent", "queued", "accepted"):
            advance_invitation(invitation, InvitationStatus.SENT)
        elif status in ("delivered", "read"):
            advance_invitation(invitation, InvitationStatus.DELIVERED)
        elif status in ("failed", "undelivered"):
            advance_invitation(invitation, InvitationStatus.FAILED)
    return True


def sendable_invitation_ids(session: Session, limit: int = 500) -> list[int]:
    """Scheduled invitations whose contractor is inside the send window right now.

    The window depends on the zone and the survey, so it is decided once per (zone, survey)
    pair and handed to the database as a filter, rather than row by row in Python.
    """
    current = now()
    waiting = (
        select(Invitation.id)
        .join(Contractor, Contractor.id == Invitation.contractor_id)
        .where(
            Invitation.status == InvitationStatus.SCHEDULED,
            Invitation.expires_at > current,
            or_(Invitation.not_before.is_(None), Invitation.not_before <= current),
        )
    )
    pairs = session.execute(
        waiting.with_only_columns(Contractor.timezone, Invitation.survey_id).distinct()
    ).all()
    surveys = {
        s.id: s
        for s in session.scalars(
            select(Survey).where(Survey.id.in_({survey_id for _, survey_id in pairs}))
        )
    }
    open_now = [
        and_(Contractor.timezone == timezone, Invitation.survey_id == survey_id)
        for timezone, survey_id in pairs
        if in_send_window(current, timezone, surveys[survey_id])
    ]
    if not open_now:
        return []
    return list(
        session.scalars(
            waiting.where(or_(*open_now)).order_by(Invitation.due_on, Invitation.id).limit(limit)
        )
    )


def give_up_lost_sends(session: Session) -> int:
    """Invitations stuck in ``sending`` (a worker died mid-send) are marked failed, not resent."""
    cutoff = now() - SENDING_GIVE_UP
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.status == InvitationStatus.SENDING,
            Invitation.status_changed_at < cutoff,
        )
        .values(status=InvitationStatus.FAILED, status_changed_at=now())
    )
    return result.rowcount  # type: ignore[attr-defined]


def queue_staff_message(
    session: Session,
    contractor_id: int,
    channel: str,
    body: str,
    *,
    staff_user_id: int,
    subject: str | None = None,
) -> Message:
    """A message from staff to a contractor, sent by the same path as surveys: consent is
    checked when it goes, and it waits for 08:00-20:00 in the contractor's zone."""
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
        status="scheduled",
        payload={"staff_user_id": staff_user_id},
    )
    session.add(message)
    session.flush()
    return message


def sendable_staff_message_ids(session: Session, limit: int = 500) -> list[int]:
    current = now()
    waiting = (
        select(Message.id)
        .join(Contractor, Contractor.id == Message.contractor_id)
        .where(Message.direction == Direction.OUTBOUND, Message.status == "scheduled")
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
    session: Session, message_id: int, channels: Mapping[str, Channel], *, sender: str
) -> str:
    """Send one queued staff message at most once. Returns its status."""
    claimed = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "scheduled")
        .values(status="sending", from_address=sender)
    )
    session.commit()
    message = session.get_one(Message, message_id)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return message.status
    if not consent.may_contact(session, message.to_address):
        message.status = "suppressed"
        session.commit()
        return message.status
    try:
        result = channels[message.channel].send(
            OutboundMessage(
                to=message.to_address,
                body=message.body,
                message_id=message.id,
                subject=message.subject,
            )
        )
    except ChannelError as exc:
        message.error_code = exc.code
        if exc.failure is Failure.RETRY:
            message.status = "scheduled"  # the provider did not take it
        else:
            message.status = "failed"
            if exc.failure is Failure.OPTED_OUT:
                consent.record_opt_out(
                    session, message.to_address, message.channel, source=exc.code or "provider"
                )
            elif exc.failure is Failure.BAD_ADDRESS:
                consent.mark_invalid(
                    session, message.to_address, message.channel, reason=exc.code or "provider"
                )
        session.commit()
        return message.status
    message.provider_id = result.provider_id
    message.status = result.status
    session.commit()
    return message.status


def nudge_dispatch() -> bool:
    return OUTBOUND_DRAIN.nudge()


def dispatch() -> int:
    """RQ job: send every invitation that may go out now. Returns how many were attempted."""
    from outreach.channels import channels_for

    settings = config.active()
    channels = channels_for(settings)
    senders: dict[str, str] = {
        ChannelName.SMS: settings.twilio_messaging_service_sid or settings.twilio_from_number,
        ChannelName.EMAIL: settings.sendgrid_from_email,
    }

    def send_batch() -> int:
        with db.session() as session:
            staff_ids = sendable_staff_message_ids(session)
            ids = sendable_invitation_ids(session)
        for message_id in staff_ids:
            with db.session() as session:
                send_staff_message(
                    session,
                    message_id,
                    channels,
                    sender=senders[session.get_one(Message, message_id).channel],
                )
        for invitation_id in ids:
            with db.session() as session:
                send_invitation(
                    session,
                    invitation_id,
                    channels,
                    senders=senders,
                    reply_domain=settings.sendgrid_inbound_domain,
                )
        return len(ids) + len(staff_ids)

    return OUTBOUND_DRAIN.run(send_batch)
