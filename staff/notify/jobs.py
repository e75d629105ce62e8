"""RQ jobs and the tick step for notifications: module-level functions taking ids."""

from __future__ import annotations

import logging

from core import config, metrics
from core.db import db
from core.queue import DEFAULT, queues
from staff.notify import channels, digest, outbox
from staff.notify.models import NotificationStatus

log = logging.getLogger(__name__)

OUTCOMES: dict[str, str] = {
    NotificationStatus.SENT: "sent",
    NotificationStatus.RETRYING: "retry",
    NotificationStatus.FAILED: "failed",
}


def notify_item(kind: str, item_id: int) -> int:
    """RQ job, enqueued once an urgent ticket or alert is committed: tell the right people.
    Returns how many notifications it sent."""
    with db.session() as session:
        ids = outbox.plan(session, kind, item_id)
    return sum(send_notification(i) == NotificationStatus.SENT for i in ids)


def send_notification(notification_id: int) -> str:
    """RQ job: send one notification at most once at a time; returns its status."""
    settings = config.active()
    with db.session() as session:
        notification = outbox.claim(session, notification_id)
        if notification is None:
            return "taken"
        error = channels.deliver(settings, notification)
        if error is not None:
            log.warning(
                "notification %s by %s failed (attempt %s): %s",
                notification.id,
                notification.channel,
                notification.attempts,
                error,
            )
        status = outbox.record(session, notification, error)
        metrics.NOTIFICATIONS.labels(
            channel=notification.channel, outcome=OUTCOMES.get(status, status)
        ).inc()
        return status


def sweep() -> dict[str, int]:
    """A tick step, the outbox sweep: urgent work whose job never ran, and retries whose
    time has come, get a job now."""
    with db.session() as session:
        digests = digest.plan_digests(session)
    with db.session() as session:
        unplanned = outbox.unplanned(session)
        due = outbox.due(session)
    for kind, item_id in unplanned:
        queues.enqueue(DEFAULT, notify_item, kind, item_id)
    for notification_id in [*digests, *due]:
        queues.enqueue(DEFAULT, send_notification, notification_id)
    return {
        "notifications_planned": len(unplanned),
        "notifications_retried": len(due),
        "digests": len(digests),
    }
