"""RQ jobs: importable module-level functions that take ids (or nothing) and call the domain."""

from __future__ import annotations

import logging

from core import metrics
from core.db import db
from outreach import delivery, inbox, schedule
from surveys import replies

log = logging.getLogger(__name__)


def tick() -> dict[str, int]:
    """Every TICK_SECONDS (RQ's cron): plan, expire, settle sends whose worker died, raise
    silence alerts, and make sure senders and readers are awake. Thin: the rules live in
    outreach.schedule, outreach.delivery and surveys.triage."""
    from datetime import timedelta

    from core import config
    from outreach import recovery
    from outreach.channels import channels_for
    from surveys import triage

    settings = config.active()
    with db.session() as session:
        planned = schedule.plan_invitations(session, stale_days=settings.stale_days)
        expired = schedule.expire_stale(session)
    with db.session() as session:
        recovered = recovery.recover_lost_sends(
            session,
            recovery.finders_for(channels_for(settings)),
            after=timedelta(seconds=settings.send_recovery_seconds),
        )
    with db.session() as session:
        silent = triage.raise_silence_alerts(session)
    with db.session() as session:
        waiting = len(replies.pending_message_ids(session, limit=1))
    # One nudge wakes one dispatcher for everything planned; it also restarts sending when
    # the last dispatcher was killed.
    delivery.nudge_dispatch(repair=True)
    if waiting:
        # The outbox sweep: replies stored while Redis was down, or left by a reader that was
        # killed, get read now.
        inbox.INBOUND_DRAIN.repair()
    return {
        "planned": planned,
        "expired": expired,
        "found_sent": recovered["sent"],
        "resent": recovered["resend"],
        "lost": recovered["failed"],
        "silence_alerts": silent,
    }


def process_inbound() -> int:
    """Read every stored inbound message that waits. Returns how many were read."""
    return inbox.INBOUND_DRAIN.run(read_waiting_messages)


def read_waiting_messages(limit: int = 200) -> int:
    with db.session() as session:
        ids = replies.pending_message_ids(session, limit)
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
                replies.record_failure(session, message_id, repr(exc))
            metrics.REPLIES_READ.labels(outcome="failed").inc()
    return len(ids)
