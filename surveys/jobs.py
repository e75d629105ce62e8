"""RQ jobs: importable module-level functions that take ids (or nothing) and call the domain."""

from __future__ import annotations

import logging

from core.db import db
from outreach import delivery, inbox, schedule
from surveys import replies

log = logging.getLogger(__name__)


def tick() -> dict[str, int]:
    """Every minute (RQ's cron): plan, expire, and make sure senders and readers are awake."""
    with db.session() as session:
        planned = schedule.plan_invitations(session)
        expired = schedule.expire_stale(session)
        lost = delivery.give_up_lost_sends(session)
    with db.session() as session:
        waiting = len(replies.pending_message_ids(session, limit=1))
    delivery.nudge_dispatch()
    if waiting:
        # The outbox sweep: replies stored while Redis was down get read now.
        inbox.nudge_processing()
    return {"planned": planned, "expired": expired, "lost": lost}


def process_inbound() -> int:
    """Read every stored inbound message that waits. Returns how many were read."""
    return inbox.INBOUND_DRAIN.run(read_waiting_messages)


def read_waiting_messages(limit: int = 200) -> int:
    with db.session() as session:
        ids = replies.pending_message_ids(session, limit)
    for message_id in ids:
        try:
            with db.session() as session:
                replies.process_message(session, message_id)
        except Exception as exc:
            # One bad message must not hold up the others; it is retried a few times, then
            # left for staff with its error.
            log.exception("reading inbound message %s failed", message_id)
            with db.session() as session:
                replies.record_failure(session, message_id, repr(exc))
    return len(ids)
