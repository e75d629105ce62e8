"""Telling the right person about urgent work: by email, Slack and Teams, recorded, retried.

A ticket or alert is written by the reader (surveys), which knows nothing of staff: this
package notices urgent rows as they are flushed and enqueues their job once the transaction
commits (a rolled-back ticket was never opened). The tick sweeps whatever was missed."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_PENDING = "pulse_notify_new_items"


def init_app(app: Flask) -> None:
    from outreach.tick import add_step
    from staff.notify import jobs

    add_step("notifications", jobs.sweep)
    if not event.contains(Session, "after_flush", _noticed):
        event.listen(Session, "after_flush", _noticed)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_rollback", _rolled_back)


def _noticed(session: Session, _context: Any) -> None:
    from staff.notify.recipients import is_urgent
    from surveys.models import Alert, Ticket

    for row in session.new:
        if isinstance(row, Ticket | Alert) and is_urgent(row):
            kind = "ticket" if isinstance(row, Ticket) else "alert"
            session.info.setdefault(_PENDING, []).append((kind, row.id))


def _committed(session: Session) -> None:
    from core.queue import DEFAULT, queues
    from staff.notify.jobs import notify_item

    items = session.info.pop(_PENDING, ())
    if not items or not queues.configured:
        return
    for kind, item_id in items:
        try:
            queues.enqueue(DEFAULT, notify_item, kind, item_id)
        except Exception:  # committed work must not fail on Redis: the tick sweeps it
            log.warning("could not enqueue the notification of %s %s", kind, item_id)


def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
