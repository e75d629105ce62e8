"""RQ jobs: importable module-level functions that take ids (or nothing) and call the domain."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from core import metrics
from core.db import db, writer_turn
from outreach import inbox
from surveys import claims, leases, reading_ahead, replies, silence
from surveys.reading_ahead import Ahead

log = logging.getLogger(__name__)


def raise_silence_alerts() -> dict[str, int]:
    """A tick step: Care alerts for contractors who stopped answering."""
    with db.session() as session:
        return {"silence_alerts": silence.raise_silence_alerts(session)}


def sweep_waiting_replies() -> dict[str, int]:
    """A tick step, the outbox sweep: replies that wait for a reader get one now."""
    with db.session() as session:
        waiting = len(claims.pending_message_ids(session, limit=1))
    if waiting:
        # Replies stored while Redis was down, or left by a reader that was killed.
        inbox.INBOUND_DRAIN.repair()
    return {}


def process_inbound(slot: int = 0) -> int:
    """Read every stored inbound message that waits, as the ``slot``-th of the readers that
    share a backlog. Returns how many were read."""
    return inbox.INBOUND_DRAIN.run(Reader().read_batch, slot=slot, batch=replies.BATCH)


class Reader:
    """One reader job: reads batches, urgent replies first. A batch is taken under a lease in a
    short transaction, analysed with no transaction open, then written in one short
    transaction, so that readers analyse side by side instead of waiting on each other's
    locks."""

    def __init__(self) -> None:
        self.screened_through = 0  # the newest message id screened for urgent replies
        self.holder = leases.new_holder()

    def read_batch(self, limit: int = replies.BATCH) -> int:
        with db.session() as session:
            urgent, self.screened_through = claims.urgent_waiting(session, self.screened_through)
        # Urgent replies make a batch of their own: a safety report waits for nobody's
        # analysis but its own.
        with writer_turn(db.engine), db.session() as session:
            ids = leases.lease(session, self.holder, urgent, len(urgent) or limit)
        if not ids:
            return 0
        with db.session() as session:
            ahead = reading_ahead.read_ahead(session, ids)
        try:
            return len(read_batch(len(ids), first=ids, ahead=ahead, holder=self.holder))
        except Exception:
            # Something in the batch fails: read it again one message at a time, so that only
            # the bad message is held back.
            log.warning("reading a batch failed; reading it one message at a time", exc_info=True)
            return read_waiting_messages(limit)


def read_batch(
    limit: int = replies.BATCH,
    first: Sequence[int] = (),
    ahead: Ahead | None = None,
    holder: str | None = None,
) -> list[int]:
    """Read one batch of waiting messages in one transaction; on SQLite, in turn with the
    webhooks' writers, so that neither waits in SQLite's sleeping busy handler. ``holder``'s
    leases on ``first`` are given back in the same transaction."""
    with writer_turn(db.engine), db.session() as session:
        read = replies.read_batch(session, limit, first, ahead)
        if holder is not None:
            leases.release(session, holder, first)
    metrics.REPLIES_READ.labels(outcome="read").inc(len(read))  # counted once committed
    return read


def read_waiting_messages(limit: int = replies.BATCH) -> int:
    with db.session() as session:
        ids = claims.pending_message_ids(session, limit)
    for message_id in ids:
        try:
            with db.session() as session:
                read = replies.process_message(session, message_id)
            if read is not None:  # None: another reader had it
                metrics.REPLIES_READ.labels(outcome="read").inc()
        except Exception as exc:
            # One bad message must not hold up the others; it is retried a few times, then
            # left for staff with its error.
            log.exception("reading inbound message %s failed", message_id)
            with db.session() as session:
                claims.record_failure(session, message_id, repr(exc))
            metrics.REPLIES_READ.labels(outcome="failed").inc()
    return len(ids)
