"""The dispatcher: one RQ job, woken by a nudge, that sends whatever may go now (staff
messages, invitations, reminders) until nothing is left. Safe to run in several workers at
once: claims are atomic and pacing is shared through Redis."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

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

OUTBOUND_DRAIN = Drain("pulse:drain:outbound", OUTBOUND, "outreach.delivery.dispatch", linger=0.0)


def _beat() -> None:
    """Renew this dispatcher's lease on the drain flag (its thread does too; see Drain)."""
    try:
        OUTBOUND_DRAIN.renew()
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
