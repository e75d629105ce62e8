"""The dispatcher: an RQ job, woken by a nudge, that sends whatever may go now (staff
messages, invitations, reminders) until nothing is left.

One nudge wakes one dispatcher; one that finds more than a batch waiting wakes up to
DISPATCHERS - 1 more (:meth:`core.queue.Drain.widen`), each under its own lease, so a backlog
is sent by as many workers as are free. They share it safely because every claim is a
compare-and-set and pacing is shared through Redis; they share it cheaply because each starts
its walk through the waiting list at its own place (its slot's share of the list), so two
dispatchers rarely try to claim the same invitation."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from core import config
from core.config import Settings
from core.db import db
from core.queue import OUTBOUND, Drain, queues
from outreach.channels import Channel, channels_for
from outreach.delivery.due import due_reminder_ids, sendable_invitation_ids
from outreach.delivery.invitations import EmailLinks, Route, send_invitation, send_reminder
from outreach.delivery.staff_messages import send_staff_message, sendable_staff_message_ids
from outreach.models import Channel as ChannelName
from outreach.models import Message
from outreach.pacing import Pacer

log = logging.getLogger(__name__)

# At most this many dispatchers at once; more only wait on the database and the pacing.
DISPATCHERS = 4
# Invitations a dispatcher sends per look at the waiting list: a full one wakes the others.
BATCH = 100

# A beat renews a lease of OUTBOUND_DRAIN.lease (5 s): one a second leaves four to spare.
BEAT_SECONDS = 1.0
_beaten_at = 0.0  # monotonic time of this process's last beat

OUTBOUND_DRAIN = Drain(
    "pulse:drain:outbound",
    OUTBOUND,
    "outreach.delivery.dispatch",
    linger=0.0,
    readers=DISPATCHERS,
)


def _from_slot(ids: list[int], slot: int) -> list[int]:
    """The same ids, starting at the ``slot``-th of DISPATCHERS equal shares and wrapping
    round: each dispatcher begins where the others are not."""
    start = len(ids) * (slot % DISPATCHERS) // DISPATCHERS
    return ids[start:] + ids[:start]


def _beat() -> None:
    """Renew this dispatcher's lease on the drain flag (its thread does too; see Drain), at
    most every BEAT_SECONDS: called before every send, it cost a Redis round trip each."""
    global _beaten_at
    if time.monotonic() - _beaten_at < BEAT_SECONDS:
        return
    try:
        OUTBOUND_DRAIN.renew()
        _beaten_at = time.monotonic()
    except Exception:  # a heartbeat must never stop a send
        log.debug("dispatcher heartbeat not recorded", exc_info=True)


def nudge_dispatch(*, repair: bool = False) -> bool:
    """Make sure a dispatcher will look soon. Returns True when this call enqueued one.

    With ``repair`` (the tick), a drain flag left by a dispatcher that was killed is cleared
    (see :meth:`core.queue.Drain.repair`).
    """
    return OUTBOUND_DRAIN.repair() if repair else OUTBOUND_DRAIN.nudge()


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

    def send_batch(self, slot: int = 0) -> int:
        """Send what may go now, at most BATCH invitations and BATCH reminders: staff
        messages, invitations, reminders. Returns how many were attempted."""
        _beat()
        with db.session() as session:
            staff_ids = sendable_staff_message_ids(session)
            invitation_ids = _from_slot(sendable_invitation_ids(session, DISPATCHERS * BATCH), slot)
            reminder_ids = _from_slot(
                due_reminder_ids(
                    session, after=self.remind_after, stale=self.stale, limit=DISPATCHERS * BATCH
                ),
                slot,
            )
        invitation_ids, reminder_ids = invitation_ids[:BATCH], reminder_ids[:BATCH]
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


def dispatch(slot: int = 0) -> int:
    """RQ job: send everything that may go out now, until nothing is left, as the ``slot``-th
    of the dispatchers that share a backlog. Safe to run in several workers at once: claims
    are atomic and pacing is shared through Redis."""
    dispatcher = Dispatcher.from_settings(config.active())
    started = time.monotonic()
    total = OUTBOUND_DRAIN.run(partial(dispatcher.send_batch, slot), slot=slot, batch=BATCH)
    log.info("dispatch: %d sends attempted in %.1f s", total, time.monotonic() - started)
    return total
