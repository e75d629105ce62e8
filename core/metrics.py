"""What operators see: every Prometheus metric of the service, defined in this one module.

Counters and histograms are counted where things happen (one line at each place); what is a
state rather than an event (replies waiting, the age of the oldest, when each worker was last
seen) is read at scrape time from the database and RQ's worker registry, by collectors that
the packages owning that state register with :func:`on_scrape`.

Several processes (gunicorn's workers, RQ workers and the work horses they fork for each job)
count into one set of numbers through prometheus_client's multiprocess mode: each process
writes its own files in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds them up. The
variable must be set before this module is first imported (``make run``, the compose file and
the systemd units set it); without it each process counts for itself, which is right for a
single process (tests, ``flask shell``).

A work horse lives for one job; files named after its pid would pile up by the thousand a day
(one set per job) and every scrape would read them all. So a horse writes under its worker's
name instead (:func:`count_as_work_horse`): the horses of one worker run one after another,
never at once, and each opens the files afresh, so they share one set per worker.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import event
from sqlalchemy.orm import Session

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

_process_name: str | None = None
# Containers that share the directory each have their own pid 1, 7, 12...: the host name
# (a container's id) keeps their files apart. No "_": the collector splits file names on it.
_HOST = socket.gethostname().replace("_", "-")


def process_identity(pid: int) -> str:
    """The name a process's metric files carry (gunicorn's child_exit hook needs it too)."""
    return f"{_HOST}-{pid}"


def _process_identifier() -> str:
    # Called on every increment: a global and a getpid, nothing more.
    return _process_name or process_identity(os.getpid())


def work_horse_identity(worker_pid: int) -> str:
    return f"{_HOST}-rqhorse-{worker_pid}"


def count_as_work_horse(worker_pid: int) -> None:
    """In an RQ work horse: count into its worker's files, not into new ones per job."""
    global _process_name
    _process_name = work_horse_identity(worker_pid)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_DIR_ENV) or None


if multiprocess_dir():
    os.makedirs(multiprocess_dir() or ".", exist_ok=True)
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_identifier)


# Latency buckets for a webhook: it stores one row and answers, so most take milliseconds;
# Twilio gives up at 15 s.
_WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
_PACING_BUCKETS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

WEBHOOKS = Counter(
    "pulse_webhooks",
    "Provider requests received, by endpoint and the HTTP status we answered.",
    ["endpoint", "status"],
)
WEBHOOK_SECONDS = Histogram(
    "pulse_webhook_duration_seconds",
    "Time from a provider request's arrival to our answer, by endpoint.",
    ["endpoint"],
    buckets=_WEBHOOK_BUCKETS,
)
REPLIES_READ = Counter(
    "pulse_replies_read",
    "Stored inbound messages the reader finished: read, or failed (retried, then left for staff).",
    ["outcome"],
)
SENDS = Counter(
    "pulse_sends",
    "Messages handed to a provider, by channel, outcome (accepted, or what a refusal means: "
    "retry, opted_out, bad_address, rejected) and the provider's error code (empty when none).",
    ["channel", "outcome", "error_code"],
)
PACING_DELAY = Histogram(
    "pulse_pacing_delay_seconds",
    "How long an SMS waited for its sender's turn (SMS_SEGMENTS_PER_SECOND) before it went.",
    buckets=_PACING_BUCKETS,
)
TICKETS_OPENED = Counter(
    "pulse_tickets_opened", "Support tickets opened, by category.", ["category"]
)
ALERTS_OPENED = Counter("pulse_alerts_opened", "Care alerts opened, by kind.", ["kind"])
NOTIFICATIONS = Counter(
    "pulse_notifications",
    "Staff notifications about urgent work, by channel (email, slack, teams) and outcome "
    "(sent; retry: the channel failed, tried again later; failed: gave up; no_recipient).",
    ["channel", "outcome"],
)


def count_send(channel: str, outcome: str, error_code: str | None = None) -> None:
    SENDS.labels(channel=channel, outcome=outcome, error_code=error_code or "").inc()


_counted_rows: dict[type, tuple[Counter, str]] = {}
_PENDING = "pulse_metrics_new_rows"


def count_when_committed(model: type, counter: Counter, attribute: str) -> None:
    """Count each new ``model`` row by its ``attribute`` once the transaction that added it
    commits (a rolled-back ticket was never opened). Rows made through the ORM only."""
    _counted_rows[model] = (counter, attribute)
    if not event.contains(Session, "after_flush", _noticed):
        event.listen(Session, "after_flush", _noticed)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_rollback", _rolled_back)


def _noticed(session: Session, _context: Any) -> None:
    for row in session.new:
        counted = _counted_rows.get(type(row))
        if counted is not None:
            counter, attribute = counted
            session.info.setdefault(_PENDING, []).append((counter, str(getattr(row, attribute))))


def _committed(session: Session) -> None:
    for counter, label in session.info.pop(_PENDING, ()):
        counter.labels(label).inc()


def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- state read at scrape time --------------------------------------------------------------

_scrapers: list[Callable[[], Iterable[Metric]]] = []


def on_scrape(read: Callable[[], Iterable[Metric]]) -> None:
    """Register a function that reads some state when /metrics is scraped (once per process;
    registering the same function again does nothing)."""
    if read not in _scrapers:
        _scrapers.append(read)


class _ScrapeTime(Collector):
    def collect(self) -> Iterable[Metric]:
        for read in list(_scrapers):
            yield from read()


def exposition() -> tuple[bytes, str]:
    """The text /metrics answers with, and its content type."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        MultiProcessCollector(registry)  # registers itself
    else:
        registry.register(_Default())
    registry.register(_ScrapeTime())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Default(Collector):
    """This process's own counters (single-process mode)."""

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()
