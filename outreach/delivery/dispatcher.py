"""The dispatcher: one RQ job, woken by a nudge, that sends whatever may go now (staff
messages, invitations, reminders) until nothing is left. Safe to run in several workers at
once: claims are atomic and pacing is shared through Redis.

One dispatcher sends one message at a time, and most of a send's time is spent on its own
database round trips, not at the provider. So when a batch finds a backlog, the dispatcher
wakes helpers (up to ``HELPERS``, each holding a slot in Redis under a lease) that run the same
loop on other workers until the backlog is gone; the pacer still holds every sender to its
rate, however many send."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from rq import get_current_job

from core import config
from core.config import Settings
from core.db import db
from core.queue import OUTBOUND, Drain, queues
from outreach.channels import Channel, channels_for
from outreach.delivery.invitations import (
    EmailLinks,
    Route,
    due_reminder_ids,
    send_invitation,
    send_reminder,
    sendable_invitation_ids,
)
from outreach.delivery.staff_messages import send_staff_message, sendable_staff_message_ids
from outreach.models import Channel as ChannelName
from outreach.models import Message
from outreach.pacing import Pacer

log = logging.getLogger(__name__)

OUTBOUND_DRAIN = Drain("pulse:drain:outbound", OUTBOUND, "outreach.delivery.dispatch", linger=0.0)

# Dispatchers beyond the first, woken while a batch finds at least HELP_FROM items waiting.
HELPERS = 3
HELP_FROM = 20
# A helper's slot lives this long while its job waits in the queue, then HELPER_LEASE from its
# last heartbeat: a helper killed mid-send frees its slot within the lease.
HELPER_HOLD_SECONDS = 600
HELPER_LEASE_SECONDS = 60
_HELPER_SLOT = "pulse:dispatch:helper:{}"
_helper_slot: str | None = None  # the slot this process's helper job holds, if any


def _beat() -> None:
    """Renew this dispatcher's lease: the drain flag (its thread does too; see Drain), or the
    helper slot it holds."""
    try:
        OUTBOUND_DRAIN.renew()
        if _helper_slot is not None:
            queues.connection.pexpire(_helper_slot, HELPER_LEASE_SECONDS * 1000)
    except Exception:  # a heartbeat must never stop a send
        log.debug("dispatcher heartbeat not recorded", exc_info=True)


def wake_helpers(waiting: int) -> int:
    """Enqueue a helper dispatcher into each free slot, one per HELP_FROM items ``waiting``
    (at most HELPERS). Returns how many were enqueued."""
    woken = 0
    for slot in range(min(HELPERS, waiting // HELP_FROM)):
        key = _HELPER_SLOT.format(slot)
        if queues.connection.set(key, "queued", nx=True, ex=HELPER_HOLD_SECONDS):
            queues.queue(OUTBOUND).enqueue("outreach.delivery.dispatcher.help_dispatch", slot)
            woken += 1
    return woken


def _rotated(ids: list[int]) -> list[int]:
    """The same work items from a random starting point, so that dispatchers that looked at
    the same moment mostly claim different items instead of racing for each one in turn."""
    if not ids:
        return ids
    start = random.randrange(len(ids))
    return ids[start:] + ids[:start]


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

    def send_batch(self) -> int:
        """Send what may go now: staff messages, invitations, reminders. Returns how many were
        attempted."""
        _beat()
        with db.session() as session:
            staff_ids = _rotated(sendable_staff_message_ids(session))
            invitation_ids = _rotated(sendable_invitation_ids(session))
            reminder_ids = _rotated(
                due_reminder_ids(session, after=self.remind_after, stale=self.stale)
            )
        waiting = len(staff_ids) + len(invitation_ids) + len(reminder_ids)
        if waiting >= HELP_FROM:
            wake_helpers(waiting)
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
        return waiting


def dispatch() -> int:
    """RQ job: send everything that may go out now, until nothing is left. Safe to run in
    several workers at once: claims are atomic and pacing is shared through Redis."""
    dispatcher = Dispatcher.from_settings(config.active())
    started = time.monotonic()
    total = OUTBOUND_DRAIN.run(dispatcher.send_batch)
    log.info("dispatch: %d sends attempted in %.1f s", total, time.monotonic() - started)
    return total


def help_dispatch(slot: int) -> int:
    """RQ job: a helper dispatcher in ``slot`` (see :func:`wake_helpers`): sends what may go
    now until nothing is left, then frees its slot."""
    global _helper_slot
    key = _HELPER_SLOT.format(slot)
    job = get_current_job()
    queues.connection.set(key, job.id if job else "helper", ex=HELPER_LEASE_SECONDS)
    _helper_slot = key
    dispatcher = Dispatcher.from_settings(config.active())
    total = 0
    try:
        while sent := dispatcher.send_batch():
            total += sent
    finally:
        _helper_slot = None
        queues.connection.delete(key)
    log.info("dispatch helper %d: %d sends attempted", slot, total)
    return total
