"""Sending invitations and their one reminder, exactly once each, by the send protocol
(:mod:`outreach.delivery.protocol`).

The crash window: a worker killed after the claim leaves the invitation ``sending``; after
SEND_RECOVERY_SECONDS :func:`outreach.recovery.recover_lost_sends` settles it on evidence. A
reminder is at most once: its count is claimed before the send and never given back once the
provider may have seen it.

Two commits a send wait for the disk, not three: the claim is committed with the message row
(both must be durable before the provider is called, neither before that), and the
provider's answer is committed without waiting for its flush (:func:`core.db.commit_unflushed`),
so it becomes durable with the next send's claim. A database crash that loses an answer
leaves the invitation ``sending`` with its message row: exactly what a worker killed during
the call leaves, and recovery settles it on the provider's record, never by sending again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from core import config
from core.clock import now
from core.config import Settings
from core.db import commit_unflushed
from outreach import consent, consent_log, contact_rules, templates
from outreach.channels import Channel, OutboundMessage
from outreach.consent import Reach
from outreach.delivery.protocol import Declined, call_provider
from outreach.delivery.refusals import Decision, Verdict
from outreach.delivery.statuses import REMINDABLE, advance_invitation, record_invitation_sent
from outreach.email_threads import thread_message_id
from outreach.models import Channel as ChannelName
from outreach.models import (
    Contractor,
    Direction,
    Invitation,
    InvitationStatus,
    Message,
    MessageStatus,
    Survey,
)
from outreach.pacing import Pacer
from outreach.schedule import in_send_window


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
    """Compare-and-set ``scheduled -> sending``, left for the message row's commit (or the
    commit of whatever else ends this attempt) to make durable: one flush for both. Until
    then the row is locked, so a second dispatcher's claim waits and then finds it taken."""
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status == InvitationStatus.SCHEDULED)
        .values(status=InvitationStatus.SENDING, status_changed_at=now())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _claim_reminder(session: Session, invitation_id: int) -> bool:
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.reminder_count == 0,
            Invitation.status.in_(REMINDABLE),
            Invitation.answered_at.is_(None),
        )
        .values(reminder_count=Invitation.reminder_count + 1)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _claimed(session: Session, invitation_id: int) -> Invitation:
    """A claimed invitation with its contractor and survey, in one query: a send reads all
    three, and the claim is committed, so nothing of them is cached yet."""
    return session.get_one(
        Invitation,
        invitation_id,
        options=[joinedload(Invitation.contractor), joinedload(Invitation.survey)],
    )


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
        session.commit()  # ends the UPDATE that matched nothing (SQLite holds its write lock)
        invitation = session.get(Invitation, invitation_id)
        return invitation.status if invitation else "missing"
    invitation = _claimed(session, invitation_id)
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
        session.commit()
        return False
    invitation = _claimed(session, invitation_id)
    if replied_since(session, invitation.contractor, invitation.sent_at):
        session.commit()  # the claim stays: this invitation needs no reminder, now or later
        return False
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
    """Send a claimed invitation (or its reminder) by the send protocol, on its own channel
    first and then the other. Returns its status and whether the provider took a message."""
    contractor = invitation.contractor
    consents = consent.consents_for(session, [contractor.phone, contractor.email])
    if consent.any_opted_out(consents):
        return _stop_here(session, invitation, reminder)  # a "no" on any channel is a no
    if contact_rules.held_back(session, invitation, reminder=reminder):
        return invitation.status, False
    order = [invitation.channel] + [
        c for c in (ChannelName.SMS, ChannelName.EMAIL) if c != invitation.channel
    ]
    for channel_name in order:
        address = contractor.phone if channel_name == ChannelName.SMS else contractor.email
        if consent.reach_of(consents, address) is not Reach.OK:
            continue
        if not in_send_window(now(), contractor.timezone, invitation.survey):
            return _give_back(session, invitation, reminder=reminder, wait=60), False
        if pacer is not None and channel_name == ChannelName.EMAIL:
            paused = pacer.paused_for(senders[channel_name])
            if paused:  # SendGrid said 429: not before its reset
                return _give_back(session, invitation, reminder=reminder, wait=paused), False
        message, outbound = _message_for(
            session,
            invitation,
            channel_name,
            address or "",
            senders[channel_name],
            reply_domain,
            links,
            reminder,
        )
        if heartbeat is not None:  # after the commit: a beat may write, and so may others then
            heartbeat()
        attempt = call_provider(
            session,
            message,
            outbound,
            channels[channel_name],
            sender=senders[channel_name],
            attempt=invitation.send_attempts,
            last_look=partial(_last_look, session, invitation, address, reminder),
            pacer=pacer,
            heartbeat=heartbeat,
        )
        if attempt.sent:
            consent_log.confirmation_went(session, message)
            return _record_sent(session, invitation, channel_name, reminder), True
        if attempt.refusal is None:
            message.status = MessageStatus.CANCELED  # the provider never saw this one
            session.commit()
            if attempt.timed_out:
                return _give_back(session, invitation, reminder=reminder, wait=5), False
            if attempt.declined is Declined.WINDOW:
                return _give_back(session, invitation, reminder=reminder, wait=60), False
            if attempt.declined is Declined.UNREACHABLE:
                continue
            return _stop_here(session, invitation, reminder)
        if attempt.refusal.verdict is Verdict.BAD_ADDRESS:
            session.commit()
            continue  # the other channel, if the contractor has one
        _apply_refusal(invitation, attempt.refusal, channel_name, reminder)
        session.commit()
        return invitation.status, False
    return _stop_here(session, invitation, reminder)


def _stop_here(session: Session, invitation: Invitation, reminder: bool) -> tuple[str, bool]:
    if not reminder:
        advance_invitation(invitation, InvitationStatus.SKIPPED)
    session.commit()
    return invitation.status, False


def _message_for(
    session: Session,
    invitation: Invitation,
    channel_name: str,
    address: str,
    sender: str,
    reply_domain: str,
    links: EmailLinks | None,
    reminder: bool,
) -> tuple[Message, OutboundMessage]:
    """Step 2 of the protocol: the outbound row, committed with the claim before the provider
    can see it."""
    contractor, survey = invitation.contractor, invitation.survey
    values = templates.values_for(contractor.name, contractor.client, survey.scale_max)
    sms_body = ""
    if channel_name == ChannelName.SMS:
        sms_body = templates.render_sms(
            _texts(survey, contractor)[0],
            values,
            reminder=reminder,
            language=contractor.language or "en",
        )
    message = Message(
        direction=Direction.OUTBOUND,
        channel=channel_name,
        contractor_id=contractor.id,
        invitation_id=invitation.id,
        from_address=sender,
        to_address=address,
        body=sms_body,
        status=MessageStatus.SENDING,
        payload={"reminder": True} if reminder else {},
    )
    session.add(message)
    session.flush()
    if channel_name == ChannelName.SMS:
        consent_log.with_confirmation(
            session, message, contractor.language or "en", _links(links).program_name
        )
    outbound = _outbound_for(
        message, invitation, survey, values, channel_name, reply_domain, links, reminder
    )
    session.commit()
    return message, outbound


def _record_sent(
    session: Session, invitation: Invitation, channel_name: str, reminder: bool
) -> str:
    # A quick provider's status callback or event may land while we get here: every write
    # from now on is a compare-and-set, so "delivered" is never overwritten by our "accepted".
    status = (
        invitation.status
        if reminder
        else record_invitation_sent(session, invitation.id, channel=channel_name)
    )
    commit_unflushed(session)  # durable with the next send's claim; see the module docstring
    return status


def _apply_refusal(
    invitation: Invitation, refusal: Decision, channel_name: str, reminder: bool
) -> None:
    """What the provider's refusal means for the invitation (or its reminder)."""
    invitation.send_attempts = refusal.attempts
    if refusal.verdict is Verdict.UNKNOWN:
        return  # stays "sending": recovery settles it on evidence
    if refusal.verdict is Verdict.RETRY:
        assert refusal.retry_at is not None
        invitation.not_before = refusal.retry_at
        if reminder:
            invitation.reminder_count = 0  # the provider refused it: try again later
        else:
            invitation.status = InvitationStatus.SCHEDULED
            invitation.status_changed_at = now()
            invitation.channel = channel_name
        return
    if reminder:
        return  # the reminder's claim stays: at most one, and this one will not go
    if refusal.verdict is Verdict.OPTED_OUT:
        advance_invitation(invitation, InvitationStatus.SKIPPED)
    else:
        advance_invitation(invitation, InvitationStatus.FAILED)


def _last_look(
    session: Session, invitation: Invitation, address: str | None, reminder: bool
) -> Declined | None:
    """Right before the provider call (time may have passed while waiting for a turn)."""
    contractor, survey = invitation.contractor, invitation.survey
    if not in_send_window(now(), contractor.timezone, survey, state=contractor.state):
        return Declined.WINDOW
    consents = consent.consents_for(session, [contractor.phone, contractor.email, address])
    if consent.any_opted_out(consents) or (
        reminder and replied_since(session, contractor, invitation.sent_at)
    ):
        return Declined.STOP
    if consent.reach_of(consents, address) is not Reach.OK:
        return Declined.UNREACHABLE
    return None


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
