"""Settling sends whose worker died: on evidence, never on hope.

The rule is stated in :mod:`outreach.delivery`. In short: an invitation left ``sending`` for
longer than SEND_RECOVERY_SECONDS is ``sent`` if a callback or event recorded its provider id
or the provider's own record has it; it goes back to ``scheduled`` when no message row was
written or the provider positively has no such message; and it ``fails`` (at most once) when
the provider cannot be asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from outreach.channels import Channel
from outreach.delivery import MAX_SEND_ATTEMPTS, advance_invitation, advance_message, is_reminder
from outreach.models import Channel as ChannelName
from outreach.models import Direction, Invitation, InvitationStatus, Message, MessageStatus

log = logging.getLogger(__name__)

# Asks a provider whether it has a message: its provider id, or None when it positively has
# none. Raises LookupError when the provider cannot be asked right now.
Finder = Callable[[Message], str | None]


def twilio_finder(channel: Any) -> Finder:
    """Look an SMS up in Twilio's Messages list: same recipient and body, created after our
    row was written (newest first, so the scan stops at the first older one)."""
    from twilio.base.exceptions import TwilioException

    def find(message: Message) -> str | None:
        since = message.created_at - timedelta(seconds=5)  # Twilio dates have 1 s resolution
        try:
            for sent in channel.client.messages.stream(to=message.to_address, page_size=50):
                created = sent.date_created
                if created is not None and created < since:
                    return None
                if sent.body == message.body:
                    return str(sent.sid)
        except (TwilioException, requests.RequestException) as exc:
            raise LookupError(f"Twilio could not be asked: {exc}") from exc
        return None

    return find


def finders_for(channels: Mapping[str, Channel]) -> dict[str, Finder]:
    from outreach.channels.twilio_sms import TwilioSMS

    sms = channels.get(ChannelName.SMS)
    return {ChannelName.SMS: twilio_finder(sms)} if isinstance(sms, TwilioSMS) else {}


def recover_lost_sends(
    session: Session, finders: Mapping[str, Finder], *, after: timedelta
) -> dict[str, int]:
    """Settle invitations left ``sending`` for longer than ``after`` (see the module rule).

    Returns how many were found sent, handed back to go out, or failed.
    """
    counts = {"sent": 0, "resend": 0, "failed": 0}
    cutoff = now() - after
    stuck = session.scalars(
        select(Invitation).where(
            Invitation.status == InvitationStatus.SENDING,
            Invitation.status_changed_at < cutoff,
        )
    ).all()
    for invitation in stuck:
        message = session.scalar(
            select(Message)
            .where(Message.invitation_id == invitation.id, Message.direction == Direction.OUTBOUND)
            .order_by(Message.id.desc())
            .limit(1)
        )
        attempt = (
            message
            if message is not None
            and not is_reminder(message)
            and message.status == MessageStatus.SENDING
            and message.created_at >= (invitation.status_changed_at or message.created_at)
            else None
        )
        if attempt is None:
            # Claimed, but no message row was written: the provider was never called.
            _resend(invitation)
            counts["resend"] += 1
            continue
        provider_id = attempt.provider_id
        if provider_id is None:
            finder = finders.get(attempt.channel)
            if finder is None:
                attempt.status = MessageStatus.FAILED
                attempt.error_code = "unknown"
                advance_invitation(invitation, InvitationStatus.FAILED)
                counts["failed"] += 1
                log.warning("invitation %s: send outcome unknown, not resent", invitation.id)
                continue
            try:
                provider_id = finder(attempt)
            except LookupError:
                log.warning("invitation %s: provider lookup failed; next tick", invitation.id)
                continue
        if provider_id is None:
            attempt.status = MessageStatus.LOST
            _resend(invitation)
            counts["resend"] += 1
            continue
        attempt.provider_id = provider_id
        advance_message(attempt, "queued")
        invitation.channel = attempt.channel
        invitation.sent_at = invitation.sent_at or attempt.created_at
        advance_invitation(invitation, InvitationStatus.SENT)
        counts["sent"] += 1
    return counts


def _resend(invitation: Invitation) -> None:
    invitation.send_attempts += 1
    invitation.status = (
        InvitationStatus.FAILED
        if invitation.send_attempts >= MAX_SEND_ATTEMPTS
        else InvitationStatus.SCHEDULED
    )
    invitation.status_changed_at = now()
    invitation.not_before = None
