"""What the reading side shows operators: tickets and alerts opened (counted when their
transaction commits) and the replies waiting to be read (read from the database at scrape
time)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from core import metrics
from core.clock import now
from core.db import db
from outreach.models import Direction, Message
from surveys.models import Alert, Ticket

log = logging.getLogger(__name__)


def init_app() -> None:
    metrics.count_when_committed(Ticket, metrics.TICKETS_OPENED, "category")
    metrics.count_when_committed(Alert, metrics.ALERTS_OPENED, "kind")
    metrics.on_scrape(replies_waiting)


def replies_waiting() -> Iterable[Metric]:
    """How many stored replies wait for a reader and how long the oldest has waited: one
    indexed query (``ix_messages_pending``) over the waiting rows only."""
    from surveys.claims import MAX_ATTEMPTS

    try:
        with db.session() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(Message.created_at)).where(
                    Message.direction == Direction.INBOUND,
                    Message.processed_at.is_(None),
                    Message.process_attempts < MAX_ATTEMPTS,
                )
            ).one()
    except Exception as exc:  # a scrape must answer; the missing series is the signal
        log.warning("replies waiting not measured: %s", type(exc).__name__)
        return
    yield GaugeMetricFamily(
        "pulse_replies_waiting", "Stored replies not yet read (retries included).", value=count
    )
    age = max(0.0, (now() - oldest).total_seconds()) if oldest is not None else 0.0
    yield GaugeMetricFamily(
        "pulse_oldest_waiting_reply_age_seconds",
        "Seconds since the oldest waiting reply arrived; 0 when none waits.",
        value=age,
    )
