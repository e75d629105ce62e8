"""Sending: consent, the window, pacing, one provider message per invitation, statuses.

Exactly one send per invitation, and the rule for the crash window:

1. A worker claims the invitation (``scheduled -> sending``) in its own committed transaction;
   only the worker whose UPDATE matched goes on. Nothing sends an invitation that is
   ``sending``.
2. It writes the outbound Message row and commits, then calls the provider with that row's id
   on board (Twilio: the status callback URL's ``?m=``; SendGrid: the ``message_id`` custom
   arg).
3. If the worker dies anywhere after the claim, the invitation stays ``sending``. After
   SEND_RECOVERY_SECONDS, :func:`outreach.recovery.recover_lost_sends` settles it on
   evidence, never on hope:

   - the Message has a provider id (a status callback or event carrying our id recorded it),
     or the provider's own record has it (Twilio's Messages list: same recipient and body,
     created after our row) -> it went: ``sent``;
   - there is no Message row for the attempt, or the provider positively has no such message
     -> the provider never took it: back to ``scheduled``, to go out once (window, expiry
     and consent still apply);
   - the provider cannot be asked (SendGrid has no lookup) and sent no event -> ``failed``:
     when we cannot know, at most once.

   A provider answer that may hide an accepted message (a read timeout, a connection dropped
   after the request went out) is handled the same way instead of being retried blindly.

Reminders are at most once: the reminder count is claimed before the send and never given back
once the provider may have seen it. Staff messages are at most once, as before.
"""

from __future__ import annotations

import logging
import random
import time
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Required, TypedDict, Unpack

import requests
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from core import config
from core.clock import now
from core.config import Settings
from core.db import db
from core.queue import OUTBOUND, Drain, queues
from outreach import consent, templates
from outreach.channels import Channel, ChannelError, Failure, OutboundMessage
from outreach.consent import Reach
from outreach.email_inbox import thread_message_id
from outreach.models import Channel as ChannelName
from outreach.models import Contractor, Direction, Invitation, InvitationStatus, Message, Survey
from outreach.pacing import Pacer, Turn
from outreach.schedule import in_hard_window, in_send_window

log = logging.getLogger(__name__)

OUTBOUND_DRAIN = Drain("pulse:drain:outbound", OUTBOUND, "outreach.delivery.dispatch", linger=0.0)
# A dispatcher refreshes this while it works; a drain flag without it belongs to a dead one.
DISPATCHER_ALIVE_KEY = "pulse:dispatch:alive"
DISPATCHER_ALIVE_MAX = 30

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# Provider refusals that asked us to come back later (429, 5xx, connection refused), before
# the invitation is given up as failed. Expiry usually comes first.
MAX_SEND_ATTEMPTS = 8
# The longest a send waits for its sender's turn before handing the invitation back.
PACE_TIMEOUT_SECONDS = 30.0

# Provider message statuses, ranked so that a late or repeated callback never moves a
# message backwards (Twilio delivers callbacks out of order; SendGrid events too).
STATUS_RANK: Mapping[str, int] = {
    "scheduled": -1,
    "sending": 0,
    "accepted": 1,
    "scheduled_at_provider": 1,
    "queued": 2,
    "processed": 2,  # SendGrid
    "deferred": 2,  # SendGrid: the receiving server said "later"
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "partially_delivered": 4,
    "bounced": 4,  # SendGrid
    "dropped": 4,  # SendGrid
    "lost": 4,  # ours: the provider never took it (see outreach.recovery)
    "read": 5,
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
_REMINDABLE = (InvitationStatus.SENT, InvitationStatus.DELIVERED)


# --- what a send needs -------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailLinks:
    """What every survey email carries besides the survey: how to stop, and where we are."""

    public_base_url: str
    secret_key: str
    mailing_address: str
    program_name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailLinks:
        return cls(
            public_base_url=settings.public_base_url,
            secret_key=settings.secret_key,
            mailing_address=settings.mailing_address,
            program_name=settings.program_name,
        )

    def unsubscribe_url(self, message_id: int) -> str:
        token = consent.unsubscribe_token(self.secret_key, message_id)
        return f"{self.public_base_url}/u/{token}"


def _links(links: EmailLinks | None) -> EmailLinks:
    return links if links is not None else EmailLinks.from_settings(config.active())


def _beat() -> None:
    """Tell the tick this dispatcher is alive (see :func:`nudge_dispatch`)."""
    try:
        ttl = min(DISPATCHER_ALIVE_MAX, config.active().send_recovery_seconds)
        queues.connection.set(DISPATCHER_ALIVE_KEY, "1", ex=max(ttl, 1))
    except Exception:  # a heartbeat must never stop a send
        log.debug("dispatcher heartbeat not recorded", exc_info=True)


# --- status transitions ---------------------------------------------------------------------


def retry_later(invitation: Invitation, retry_after: float | None) -> None:
    """Back to ``scheduled`` with exponential backoff and full jitter, or exactly after the
    provider's own Retry-After (the pacer spreads the crowd that comes back then). Bounded:
    after MAX_SEND_ATTEMPTS it fails; expiry still stops it from going out late."""
    invitation.send_attempts += 1
    current = now()
    invitation.status_changed_at = current
    if invitation.send_attempts >= MAX_SEND_ATTEMPTS:
        invitation.status = InvitationStatus.FAILED
        return
    if retry_after is not None:
        delay = timedelta(seconds=retry_after)
    else:
        ceiling = min(BACKOFF_BASE * 2 ** (invitation.send_attempts - 1), BACKOFF_MAX)
        delay = ceiling * random.random()
    invitation.status = InvitationStatus.SCHEDULED
    invitation.not_before = current + delay


def advance_invitation(invitation: Invitation, status: InvitationStatus) -> bool:
    """Move an invitation's status forward only; return whether it moved."""
    if _INVITATION_RANK[status] <= _INVITATION_RANK[InvitationStatus(invitation.status)]:
        return False
    invitation.status = status
    invitation.status_changed_at = now()
    return True


def advance_message(message: Message, status: str, error_code: str | None = None) -> bool:
    """Move a message's provider status forward only; return whether it moved."""
    if STATUS_RANK.get(status, -1) <= STATUS_RANK.get(message.status, -1):
        return False
    message.status = status
    if error_code:
        message.error_code = error_code
    return True


def _ranked_below(ranks: Mapping[str, int], status: str) -> list[str]:
    return [name for name, rank in ranks.items() if rank < ranks[status]]


def advance_message_row(
    session: Session, message_id: int, status: str, error_code: str | None = None
) -> bool:
    """Move a stored message's status forward only, decided by the database itself.

    A provider's callback and our own worker may both be writing the same row at once (a
    quick provider reports "delivered" before the worker has recorded "accepted"); a
    compare-and-set UPDATE, unlike a read-then-write, cannot move it back.
    """
    if status not in STATUS_RANK:
        return False
    values: dict[str, Any] = {"status": status}
    if error_code:
        values["error_code"] = error_code
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status.in_(_ranked_below(STATUS_RANK, status)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    _forget_cached(session, Message, message_id)
    return result.rowcount == 1  # type: ignore[attr-defined]


def advance_invitation_row(
    session: Session, invitation_id: int, status: InvitationStatus, **values: Any
) -> bool:
    """Like :func:`advance_message_row`, for an invitation; ``values`` go with the move."""
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.status.in_(_ranked_below(_INVITATION_RANK, status)),
        )
        .values(status=status, status_changed_at=now(), **values)
        .execution_options(synchronize_session=False)
    )
    _forget_cached(session, Invitation, invitation_id)
    return result.rowcount == 1  # type: ignore[attr-defined]


def _record_provider_id(session: Session, message_id: int, provider_id: str) -> None:
    session.execute(
        update(Message)
        .where(Message.id == message_id, Message.provider_id.is_(None))
        .values(provider_id=provider_id)
        .execution_options(synchronize_session=False)
    )
    _forget_cached(session, Message, message_id)


def _forget_cached(session: Session, model: type[Message] | type[Invitation], row_id: int) -> None:
    # The database decided; whatever this session holds of the row is read again on next use.
    cached = session.identity_map.get(session.identity_key(model, row_id))
    if cached is not None:
        session.expire(cached)


def is_reminder(message: Message) -> bool:
    return bool((message.payload or {}).get("reminder"))


def _texts(survey: Survey, contractor: Contractor) -> tuple[str, str, str]:
    """The survey's SMS text, email subject and email text in the contractor's language."""
    return templates.survey_texts(
        survey.sms_template,
        survey.email_subject,
        survey.email_template,
        survey.translations,
        contractor.language or "en",
    )


def render(template: str, contractor: Contractor, survey: Survey) -> str:
    return template.format(
        **templates.values_for(contractor.name, contractor.client, survey.scale_max)
    )


def _claim(session: Session, invitation_id: int) -> bool:
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status == InvitationStatus.SCHEDULED)
        .values(status=InvitationStatus.SENDING, status_changed_at=now())
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def _claim_reminder(session: Session, invitation_id: int) -> bool:
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.reminder_count == 0,
            Invitation.status.in_(_REMINDABLE),
            Invitation.answered_at.is_(None),
        )
        .values(reminder_count=Invitation.reminder_count + 1)
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


def _give_back(session: Session, invitation: Invitation, *, reminder: bool, wait: float) -> str:
    """Hand a claimed invitation back untouched: the provider never saw this attempt."""
    invitation.not_before = now() + timedelta(seconds=wait)
    if reminder:
        invitation.reminder_count = 0
    else:
        invitation.status = InvitationStatus.SCHEDULED
        invitation.status_changed_at = now()
    session.commit()
    return invitation.status


def replied_since(session: Session, contractor: Contractor, since: datetime | None) -> bool:
    """Did the contractor write to us (an answer, a STOP, anything) since ``since``?"""
    addresses = [a for a in (contractor.phone, contractor.email) if a]
    if since is None or not addresses:
        return False
    found = session.scalar(
        select(Message.id)
        .where(
            Message.direction == Direction.INBOUND,
            or_(
                Message.contractor_id == contractor.id,
                func.lower(Message.from_address).in_([a.lower() for a in addresses]),
            ),
            Message.created_at >= since,
        )
        .limit(1)
    )
    return found is not None


def _provider_may_have_it(exc: ChannelError) -> bool:
    """True when the request may have reached the provider although we got no answer.

    A refusal with a provider code or HTTP status, a refused connection or a connect timeout
    are certain: the provider did not take the message. A read timeout, or a connection reset
    after the request was written, are not.
    """
    if exc.failure is not Failure.RETRY or exc.code is not None:
        return False
    cause = exc.__cause__
    if cause is None or isinstance(cause, requests.ConnectTimeout | urllib.error.URLError):
        # urllib (SendGrid's SDK) wraps errors while connecting and writing, not reading.
        return False
    if isinstance(cause, requests.ConnectionError) and not isinstance(cause, requests.Timeout):
        text = repr(cause)
        return "NewConnectionError" not in text and "Connection refused" not in text
    return True


# --- one send -------------------------------------------------------------------------------


class Route(TypedDict, total=False):
    """How a send goes out, the same for an invitation and its reminder.

    senders: the from-address we record per channel; the SMS one is the pacing key.
    reply_domain: the inbound-parse domain for ``reply+<token>@`` addresses.
    pacer: shared per-sender pacing for SMS; None sends unpaced (tests, one-offs).
    links: unsubscribe links and footer for email; default from the active settings.
    heartbeat: called while a send waits, so the dispatcher is seen alive.
    """

    senders: Required[Mapping[str, str]]
    reply_domain: Required[str]
    pacer: Pacer | None
    links: EmailLinks | None
    heartbeat: Callable[[], None] | None


def send_invitation(
    session: Session,
    invitation_id: int,
    channels: Mapping[str, Channel],
    **route: Unpack[Route],
) -> str:
    """Send one invitation, exactly once (see the module docstring). Returns its status.

    ``channels`` are the provider channels by name ("sms", "email").
    """
    if not _claim(session, invitation_id):
        invitation = session.get(Invitation, invitation_id)
        return invitation.status if invitation else "missing"
    invitation = session.get_one(Invitation, invitation_id)
    status, _sent = _deliver(session, invitation, channels, reminder=False, **route)
    return status


def send_reminder(
    session: Session,
    invitation_id: int,
    channels: Mapping[str, Channel],
    **route: Unpack[Route],
) -> bool:
    """Send the one reminder of an unanswered invitation. Returns whether one went.

    Never after a reply (counted from any message the contractor sent since the invitation,
    even one not yet read), an expiry, a failed delivery or an opt-out.
    """
    if not _claim_reminder(session, invitation_id):
        return False
    invitation = session.get_one(Invitation, invitation_id)
    if replied_since(session, invitation.contractor, invitation.sent_at):
        return False  # the claim stays: this invitation needs no reminder, now or later
    _status, sent = _deliver(session, invitation, channels, reminder=True, **route)
    return sent


def _deliver(
    session: Session,
    invitation: Invitation,
    channels: Mapping[str, Channel],
    *,
    reminder: bool,
    senders: Mapping[str, str],
    reply_domain: str,
    pacer: Pacer | None = None,
    links: EmailLinks | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> tuple[str, bool]:
    """Send a claimed invitation (or its reminder). Returns its status and whether the
    provider took a message."""
    contractor, survey = invitation.contractor, invitation.survey
    addresses = [contractor.phone, contractor.email]

    def stop_here() -> tuple[str, bool]:
        if not reminder:
            advance_invitation(invitation, InvitationStatus.SKIPPED)
        session.commit()
        return invitation.status, False

    def give_back(wait: float) -> tuple[str, bool]:
        return _give_back(session, invitation, reminder=reminder, wait=wait), False

    if consent.contractor_opted_out(session, addresses):
        return stop_here()  # a "no" on any channel is a no: we do not route around it

    order = [invitation.channel] + [
        c for c in (ChannelName.SMS, ChannelName.EMAIL) if c != invitation.channel
    ]
    values = templates.values_for(contractor.name, contractor.client, survey.scale_max)
    language = contractor.language or "en"
    for channel_name in order:
        address = contractor.phone if channel_name == ChannelName.SMS else contractor.email
        if consent.reach(session, address) is not Reach.OK:
            continue
        if not in_send_window(now(), contractor.timezone, survey):
            return give_back(60)
        sms_body = ""
        if channel_name == ChannelName.SMS:
            sms_body = templates.render_sms(
                _texts(survey, contractor)[0], values, reminder=reminder, language=language
            )
        if pacer is not None and channel_name == ChannelName.EMAIL:
            paused = pacer.paused_for(senders[channel_name])
            if paused:
                return give_back(paused)  # SendGrid said 429: not before its reset
        if heartbeat is not None:
            heartbeat()

        # The row is committed before the provider can see the message (the exactly-once
        # rule); a send that does not happen after all is marked canceled.
        message = Message(
            direction=Direction.OUTBOUND,
            channel=channel_name,
            contractor_id=contractor.id,
            invitation_id=invitation.id,
            from_address=senders[channel_name],
            to_address=address or "",
            body=sms_body,
            status="sending",
            payload={"reminder": True} if reminder else {},
        )
        session.add(message)
        session.flush()
        outbound = _outbound_for(
            message, invitation, survey, values, channel_name, reply_domain, links, reminder
        )
        session.commit()

        if pacer is not None and channel_name == ChannelName.SMS:
            declined: list[str] = []
            turn = pacer.acquire(
                senders[channel_name],
                templates.count_segments(sms_body),
                timeout=PACE_TIMEOUT_SECONDS,
                while_waiting=heartbeat,
                ready=partial(_still_sendable, session, invitation, address, reminder, declined),
            )
            if turn is not Turn.TAKEN:
                message.status = "canceled"
                session.commit()
                if turn is Turn.TIMEOUT:
                    return give_back(5)
                if declined == ["window"]:
                    return give_back(60)
                if declined == ["unreachable"]:
                    continue
                return stop_here()
        try:
            result = channels[channel_name].send(outbound)
        except ChannelError as exc:
            outcome = _after_refusal(
                session, invitation, message, exc, pacer, senders[channel_name], reminder
            )
            if outcome == "next":
                continue  # a bad address: the other channel, if the contractor has one
            return invitation.status, False
        # A quick provider's status callback or event may land while we get here: every
        # write from now on is a compare-and-set, so "delivered" is never overwritten by
        # our "accepted".
        _record_provider_id(session, message.id, result.provider_id)
        advance_message_row(session, message.id, result.status)
        if not reminder:
            session.execute(
                update(Invitation)
                .where(Invitation.id == invitation.id)
                .values(channel=channel_name, sent_at=func.coalesce(Invitation.sent_at, now()))
                .execution_options(synchronize_session=False)
            )
            advance_invitation_row(session, invitation.id, InvitationStatus.SENT)
        session.commit()
        session.refresh(invitation)
        return invitation.status, True

    return stop_here()


def _still_sendable(
    session: Session,
    invitation: Invitation,
    address: str | None,
    reminder: bool,
    declined: list[str],
) -> bool:
    """The last look before a sender's turn is taken: time may have passed while waiting.
    Records in ``declined`` why not: "window", "stop" or "unreachable"."""
    session.commit()  # end the read snapshot: see what others committed since
    session.expire_all()
    contractor, survey = invitation.contractor, invitation.survey
    if not in_send_window(now(), contractor.timezone, survey):
        declined.append("window")
    elif consent.contractor_opted_out(session, [contractor.phone, contractor.email]) or (
        reminder and replied_since(session, contractor, invitation.sent_at)
    ):
        declined.append("stop")
    elif consent.reach(session, address) is not Reach.OK:
        declined.append("unreachable")
    return not declined


def _outbound_for(
    message: Message,
    invitation: Invitation,
    survey: Survey,
    values: Mapping[str, Any],
    channel_name: str,
    reply_domain: str,
    links: EmailLinks | None,
    reminder: bool,
) -> OutboundMessage:
    if channel_name == ChannelName.SMS:
        return OutboundMessage(
            to=message.to_address,
            body=message.body,
            message_id=message.id,
            invitation_id=invitation.id,
        )
    email_links = _links(links)
    unsubscribe = email_links.unsubscribe_url(message.id)
    _, subject, body = _texts(survey, invitation.contractor)
    email = templates.render_email(
        subject,
        body,
        values,
        unsubscribe_url=unsubscribe,
        mailing_address=email_links.mailing_address,
        program_name=email_links.program_name,
        reminder=reminder,
        language=invitation.contractor.language or "en",
    )
    message.subject = email.subject
    message.body = email.text
    return OutboundMessage(
        to=message.to_address,
        body=email.text,
        html=email.html,
        subject=email.subject,
        message_id=message.id,
        invitation_id=invitation.id,
        reply_to=f"reply+{invitation.reply_token}@{reply_domain}",
        # RFC 8058 one-click: mailbox providers POST to the URL, no login, no cookie.
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # Ours, not SendGrid's: a reply that lost the reply address still finds its way.
            "Message-ID": thread_message_id(invitation.reply_token, reply_domain),
        },
    )


def _after_refusal(
    session: Session,
    invitation: Invitation,
    message: Message,
    exc: ChannelError,
    pacer: Pacer | None,
    sender: str,
    reminder: bool,
) -> str:
    """Record what a provider error means. Returns "next" to try the other channel."""
    message.error_code = exc.code
    if _provider_may_have_it(exc):
        # Not a refusal: the provider may have the message. Leave it for recovery to settle
        # on evidence rather than risk a second text.
        log.warning("invitation %s: no answer from the provider (%s)", invitation.id, exc)
        session.commit()
        return "unknown"
    message.status = "failed"
    if exc.failure is Failure.OPTED_OUT:
        consent.record_opt_out(
            session, message.to_address, message.channel, source=exc.code or "provider"
        )
        if not reminder:
            advance_invitation(invitation, InvitationStatus.SKIPPED)
        session.commit()
        return "done"
    if exc.failure is Failure.BAD_ADDRESS:
        consent.mark_invalid(
            session, message.to_address, message.channel, reason=exc.code or "provider"
        )
        session.commit()
        return "next"
    if exc.failure is Failure.RETRY:
        if pacer is not None and exc.retry_after is not None:
            # The whole sender is over its limit, not just this message.
            pacer.pause(sender, exc.retry_after)
        if reminder:
            invitation.send_attempts += 1
            if invitation.send_attempts < MAX_SEND_ATTEMPTS:
                invitation.reminder_count = 0  # the provider refused it: try again later
                invitation.not_before = now() + timedelta(seconds=exc.retry_after or 60)
        else:
            retry_later(invitation, exc.retry_after)
            invitation.channel = message.channel
        session.commit()
        log.warning("invitation %s: provider asked us to retry (%s)", invitation.id, exc)
        return "retry"
    if not reminder:
        advance_invitation(invitation, InvitationStatus.FAILED)
    session.commit()
    return "done"


# --- what providers tell us afterwards ------------------------------------------------------


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
        # The provider took the message before our worker recorded its id (or the worker
        # died in between); the callback carries our id and settles the send.
        message = session.get(Message, message_id)
        if message is not None:
            _record_provider_id(session, message.id, provider_id)
    if message is None or message.direction != Direction.OUTBOUND:
        return False
    if not advance_message_row(session, message.id, status, error_code):
        return False
    if message.invitation_id is not None and not is_reminder(message):
        sent_at = func.coalesce(Invitation.sent_at, message.created_at)
        if status in ("sent", "queued", "accepted", "processed"):
            advance_invitation_row(
                session, message.invitation_id, InvitationStatus.SENT, sent_at=sent_at
            )
        elif status in ("delivered", "read"):
            advance_invitation_row(
                session, message.invitation_id, InvitationStatus.DELIVERED, sent_at=sent_at
            )
        elif status in ("failed", "undelivered", "bounced", "dropped"):
            advance_invitation_row(session, message.invitation_id, InvitationStatus.FAILED)
    return True


# --- what may go now ------------------------------------------------------------------------


def _open_now(session: Session, waiting: Select[Any], limit: int) -> list[int]:
    """Narrow ``waiting`` (invitation ids joined to contractors) to those whose contractor is
    inside the survey's window now. The window depends on the zone and the survey, so it is
    decided once per (zone, survey) pair and handed to the database as a filter."""
    current = now()
    pairs = session.execute(
        waiting.with_only_columns(Contractor.timezone, Invitation.survey_id).distinct()
    ).all()
    if not pairs:
        return []
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


def sendable_invitation_ids(session: Session, limit: int = 500) -> list[int]:
    """Scheduled invitations whose contractor is inside the send window right now."""
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
    return _open_now(session, waiting, limit)


def due_reminder_ids(
    session: Session, *, after: timedelta, stale: timedelta, limit: int = 500
) -> list[int]:
    """Unanswered invitations sent at least ``after`` ago (and not so long ago that a reminder
    would be stale), not yet reminded, whose contractor is inside the window now."""
    current = now()
    waiting = (
        select(Invitation.id)
        .join(Contractor, Contractor.id == Invitation.contractor_id)
        .where(
            Invitation.status.in_(_REMINDABLE),
            Invitation.reminder_count == 0,
            Invitation.answered_at.is_(None),
            Invitation.sent_at <= current - after,
            Invitation.sent_at > current - after - stale,
            or_(Invitation.not_before.is_(None), Invitation.not_before <= current),
        )
    )
    return _open_now(session, waiting, limit)


# --- staff messages -------------------------------------------------------------------------


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
    checked when it goes, it is paced, and it waits for 08:00-20:00 in the contractor's zone."""
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


def _not_before(message: Message) -> datetime | None:
    raw = (message.payload or {}).get("not_before")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def sendable_staff_message_ids(session: Session, limit: int = 500) -> list[int]:
    current = now()
    waiting = (
        select(Message)
        .join(Contractor, Contractor.id == Message.contractor_id)
        .where(Message.direction == Direction.OUTBOUND, Message.status == "scheduled")
    )
    zones = session.scalars(waiting.with_only_columns(Contractor.timezone).distinct()).all()
    open_zones = [z for z in zones if in_hard_window(current, z)]
    if not open_zones:
        return []
    candidates = session.scalars(
        waiting.where(Contractor.timezone.in_(open_zones)).order_by(Message.id).limit(limit)
    )
    return [m.id for m in candidates if (_not_before(m) or current) <= current]


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
        .where(Message.id == message_id, Message.status == "scheduled")
        .values(status="sending", from_address=sender)
    )
    session.commit()
    message = session.get_one(Message, message_id)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return message.status
    contractor = session.get_one(Contractor, message.contractor_id)

    def hand_back(wait: float) -> str:
        message.status = "scheduled"
        message.payload = {
            **(message.payload or {}),
            "not_before": (now() + timedelta(seconds=wait)).isoformat(),
        }
        session.commit()
        return message.status

    def why_not(declined: list[str]) -> bool:
        session.commit()  # end the read snapshot: see what others committed since
        session.expire_all()
        if not in_hard_window(now(), contractor.timezone):
            declined.append("window")
        elif not consent.may_contact(session, message.to_address):
            declined.append("stop")
        return not declined

    declined: list[str] = []
    if message.channel == ChannelName.SMS and pacer is not None:
        turn = pacer.acquire(
            sender,
            templates.count_segments(message.body),
            timeout=PACE_TIMEOUT_SECONDS,
            ready=partial(why_not, declined),
        )
        if turn is Turn.TIMEOUT:
            return hand_back(5)
    else:
        why_not(declined)
    if declined == ["window"]:
        return hand_back(60)
    if declined:
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
        if exc.failure is Failure.RETRY and not _provider_may_have_it(exc):
            attempts = int((message.payload or {}).get("attempts", 0)) + 1
            if attempts < MAX_SEND_ATTEMPTS:
                message.payload = {**(message.payload or {}), "attempts": attempts}
                if pacer is not None and exc.retry_after is not None:
                    pacer.pause(sender, exc.retry_after)
                ceiling = min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX).total_seconds()
                return hand_back(exc.retry_after or ceiling * random.random())
            message.status = "failed"
        elif exc.failure is Failure.RETRY:
            pass  # the provider may have it: stays "sending", never sent twice
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
    _record_provider_id(session, message.id, result.provider_id)
    advance_message_row(session, message.id, result.status)  # a callback may have come first
    session.commit()
    session.refresh(message)
    return message.status


# --- the dispatcher job ---------------------------------------------------------------------


def nudge_dispatch(*, repair: bool = False) -> bool:
    """Make sure a dispatcher will look soon. Returns True when this call enqueued one.

    With ``repair`` (the tick), a drain flag left by a dispatcher that was killed is cleared:
    no heartbeat and no dispatch job waiting in the queue means nobody will clear it.
    """
    if OUTBOUND_DRAIN.nudge():
        return True
    if not repair:
        return False
    connection = queues.connection
    if connection.exists(DISPATCHER_ALIVE_KEY):
        return False
    waiting = queues.queue(OUTBOUND).get_job_ids()
    if waiting:
        return False
    log.warning("no live dispatcher holds the outbound flag; starting one")
    connection.delete(OUTBOUND_DRAIN.flag)
    OUTBOUND_DRAIN.forget()
    return OUTBOUND_DRAIN.nudge()


@dataclass(frozen=True)
class Dispatcher:
    """Everything a worker needs to send, built once per job from the settings."""

    channels: Mapping[str, Channel]
    senders: Mapping[str, str]
    reply_domain: str
    pacer: Pacer
    links: EmailLinks
    remind_after: timedelta
    stale: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Dispatcher:
        from outreach.channels import channels_for

        return cls(
            channels=channels_for(settings),
            senders={
                ChannelName.SMS: settings.twilio_messaging_service_sid
                or settings.twilio_from_number,
                ChannelName.EMAIL: settings.sendgrid_from_email,
            },
            reply_domain=settings.sendgrid_inbound_domain,
            pacer=Pacer(queues.connection, settings.sms_segments_per_second),
            links=EmailLinks.from_settings(settings),
            remind_after=timedelta(hours=settings.reminder_after_hours),
            stale=timedelta(days=settings.stale_days),
        )

    def send_batch(self) -> int:
        """Send what may go now: staff messages, invitations, reminders. Returns how many were
        attempted."""
        _beat()
        with db.session() as session:
            staff_ids = sendable_staff_message_ids(session)
            invitation_ids = sendable_invitation_ids(session)
            reminder_ids = due_reminder_ids(session, after=self.remind_after, stale=self.stale)
        route = Route(
            senders=self.senders,
            reply_domain=self.reply_domain,
            pacer=self.pacer,
            links=self.links,
            heartbeat=_beat,
        )
        for message_id in staff_ids:
            with db.session() as session:
                channel = session.get_one(Message, message_id).channel
                send_staff_message(
                    session,
                    message_id,
                    self.channels,
                    sender=self.senders[channel],
                    pacer=self.pacer,
                )
        for invitation_id in invitation_ids:
            _beat()
            with db.session() as session:
                send_invitation(session, invitation_id, self.channels, **route)
        for invitation_id in reminder_ids:
            _beat()
            with db.session() as session:
                send_reminder(session, invitation_id, self.channels, **route)
        return len(staff_ids) + len(invitation_ids) + len(reminder_ids)


def dispatch() -> int:
    """RQ job: send everything that may go out now, until nothing is left. Safe to run in
    several workers at once: claims are atomic and pacing is shared through Redis."""
    dispatcher = Dispatcher.from_settings(config.active())
    started = time.monotonic()
    total = OUTBOUND_DRAIN.run(dispatcher.send_batch)
    log.info("dispatch: %d sends attempted in %.1f s", total, time.monotonic() - started)
    return total
