"""RQ jobs: importable module-level functions that take ids (or nothing) and call the domain."""

from __future__ import annotations

import logging

from core.db import db
from outreach import inbox
from surveys import replies, triage

log = logging.getLogger(__name__)


def raise_silence_alerts() -> dict[str, int]:
    """A tick step: Care alerts for contractors who stopped answering."""
    with db.session() as session:
        return {"silence_alerts": triage.raise_silence_alerts(session)}


def sweep_waiting_replies() -> dict[str, int]:
    """A tick step, the outbox sweep: replies that wait for a reader get one now."""
    with db.session() as session:
        waiting = len(replies.pending_message_ids(session, limit=1))
    if waiting:
        # Replies stored while Redis was down, or left by a reader that was killed.
        inbox.INBOUND_DRAIN.repair()
    return {}


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
