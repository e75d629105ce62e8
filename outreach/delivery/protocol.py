"""The send protocol every outbound message follows: invitations, reminders, staff messages.

1. **claim**: the caller moves its work item by compare-and-set (an invitation to
   ``sending``, a reminder's count to 1, a staff message to ``sending``); only the worker
   whose UPDATE matched goes on. An invitation's claim is committed with step 2.
2. **row**: the outbound Message row is committed before the provider can see the message, so
   its id rides along with the send and a crash leaves evidence (see ``outreach.recovery``).
3. **call**: :func:`call_provider` waits for the sender's turn, takes a last look (time may
   have passed while waiting), and calls the channel.
4. **record**: the provider's id and status are written by compare-and-set (a quick callback
   may have come first; an invitation's is committed without waiting for the disk, since
   recovery settles a lost one on the provider's record); a refusal becomes one
   :class:`~outreach.delivery.refusals.Decision`, whose consent side (an opt-out, a bad
   address) is recorded here for every caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from core.clock import now
from outreach import consent, templates
from outreach.channels import Channel, ChannelError, OutboundMessage
from outreach.delivery.refusals import Decision, Verdict, decide
from outreach.delivery.statuses import record_accepted
from outreach.models import Channel as ChannelName
from outreach.models import Message, MessageStatus
from outreach.pacing import Pacer, Turn

log = logging.getLogger(__name__)

# The longest a send waits for its sender's turn before handing its work item back.
PACE_TIMEOUT_SECONDS = 30.0


class Declined(StrEnum):
    """Why the last look before the provider call said no."""

    WINDOW = "window"  # outside the contractor's window now: later
    STOP = "stop"  # consent (or a reply) says no: not at all
    UNREACHABLE = "unreachable"  # this address cannot take messages: another channel may


# The last look: returns why not, or None when the send may go.
LastLook = Callable[[], Declined | None]


@dataclass(frozen=True)
class Attempt:
    """How a provider call ended: sent, declined before the call, or refused by the provider."""

    sent: bool = False
    declined: Declined | None = None
    timed_out: bool = False  # the sender's turn did not come in time: the provider saw nothing
    refusal: Decision | None = None


def call_provider(
    session: Session,
    message: Message,
    outbound: OutboundMessage,
    channel: Channel,
    *,
    sender: str,
    attempt: int,
    last_look: LastLook,
    pacer: Pacer | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> Attempt:
    """Steps 3 and 4 for a Message row already committed (step 2). Leaves the commit to the
    caller, who applies the outcome to its own work item in the same transaction."""
    declined: list[Declined] = []

    def ready() -> bool:
        # End the read snapshot so the look sees what others committed since. Nothing is
        # expired: the look reads consent afresh (consent.consents_for), and a reload of every
        # row this send holds cost five queries a send.
        session.commit()
        why = last_look()
        if why is not None:
            declined.append(why)
        return why is None

    if pacer is not None and message.channel == ChannelName.SMS:
        turn = pacer.acquire(
            sender,
            templates.count_segments(message.body),
            timeout=PACE_TIMEOUT_SECONDS,
            while_waiting=heartbeat,
            ready=ready,
        )
        if turn is Turn.TIMEOUT:
            return Attempt(timed_out=True)
        if turn is not Turn.TAKEN:
            return Attempt(declined=declined[-1] if declined else Declined.STOP)
    elif not ready():
        return Attempt(declined=declined[-1])
    try:
        result = channel.send(outbound)
    except ChannelError as exc:
        return Attempt(refusal=_record_refusal(session, message, exc, attempt, pacer, sender))
    finally:
        if pacer is not None:
            pacer.sent(sender)  # the provider has seen it by now: the window counts from here
    record_accepted(session, message.id, result.provider_id, result.status)
    return Attempt(sent=True)


def _record_refusal(
    session: Session,
    message: Message,
    error: ChannelError,
    attempt: int,
    pacer: Pacer | None,
    sender: str,
) -> Decision:
    decision = decide(error, attempt, at=now())
    message.error_code = error.code
    if decision.pause_sender is not None and pacer is not None:
        pacer.pause(sender, decision.pause_sender)  # the whole sender is over its limit
    if decision.verdict is Verdict.UNKNOWN:
        # Not a refusal: the provider may have the message. It stays "sending" for recovery
        # to settle on evidence rather than risk a second text.
        log.warning("message %s: no answer from the provider (%s)", message.id, error)
        return decision
    message.status = MessageStatus.FAILED
    source = error.code or "provider"
    if decision.verdict is Verdict.OPTED_OUT:
        consent.record_opt_out(
            session,
            message.to_address,
            message.channel,
            source=source,
            actor=f"provider:{message.channel}",
            message_id=message.id,
        )
    elif decision.verdict is Verdict.BAD_ADDRESS:
        consent.mark_invalid(
            session,
            message.to_address,
            message.channel,
            reason=source,
            actor=f"provider:{message.channel}",
        )
    elif decision.verdict is Verdict.RETRY:
        log.warning("message %s: provider asked us to retry (%s)", message.id, error)
    return decision
