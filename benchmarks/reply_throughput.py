"""Reply throughput: how many stored SMS replies real workers read per second, with 1 and 2
`flask --app wsgi worker` processes, next to `analyze()` alone on the same texts.

Each round starts from an empty database: a roster of contractors, each with an open survey
invitation, and N replies stored through the webhook's own storing function
(`outreach.inbox.receive_sms`). The workers are started and registered before the clock runs;
it runs from the nudge that wakes a reader until no reply waits. With 2 workers, one urgent
reply (a safety report) is stored while the backlog is being read, and the time until its
Support ticket exists is printed too.

    .venv/bin/python benchmarks/reply_throughput.py [--replies 2000] [--database-url URL]

``--in-process`` measures no workers: one reader in this process reads the N replies exactly
as a worker's reader job does (one :class:`surveys.jobs.Reader`, batch after batch), and the
script prints the CPU seconds this process spent, SQL statements and commits per reply. On a
shared machine, where wall-clock rates swing with other people's load, CPU seconds compared
side by side are the steadier figure.

The default database is a fresh SQLite file per round. A PostgreSQL URL must name a database
this script may empty (its schema is dropped and rebuilt for each round).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rq import Worker  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from benchmarks import counting_sql, reset_database, seed_pulse, start_workers, stop_workers  # noqa: E402
from core.app import import_models  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import db  # noqa: E402
from core.queue import Drain, EmbeddedRedis, queues  # noqa: E402
from outreach import inbox  # noqa: E402
from outreach.keywords import classify  # noqa: E402
from outreach.models import (  # noqa: E402
    Contractor,
    Direction,
    InvitationStatus,
    Message,
)
from surveys import reading_ahead  # noqa: E402
from surveys.analysis import analyze, make_ready  # noqa: E402
from surveys.jobs import Reader  # noqa: E402
from surveys.models import Ticket  # noqa: E402

TEXTS = ROOT / "benchmarks" / "data" / "heldout_replies.csv"
URGENT = "someone threatened to hurt me on the loading dock today, I do not feel safe"
URGENT_PHONE = "+14159999999"


def _texts() -> list[str]:
    with TEXTS.open(newline="") as f:
        return [row["text"] for row in csv.DictReader(f) if classify(row["text"]) is None]


def _seed(contractors: int) -> None:
    """``contractors`` active contractors (and one more for the urgent reply), each with an
    invitation sent an hour ago."""
    at = datetime.now(UTC)
    seed_pulse(
        [f"+1415{n:07d}" for n in range(contractors)] + [URGENT_PHONE],
        timezone="America/New_York",
        started=lambda n: (at - timedelta(days=60 + n % 30)).date(),
        invitation={
            "status": InvitationStatus.SENT.value,
            "send_attempts": 1,
            "sent_at": at - timedelta(hours=1),
        },
    )


def _store(settings: Settings, texts: list[str], count: int, contractors: int) -> None:
    for n in range(count):
        _store_one(settings, f"SM{n:032x}", f"+1415{n % contractors:07d}", texts[n % len(texts)])


def _store_one(settings: Settings, sid: str, phone: str, body: str) -> None:
    received = inbox.receive_sms(
        db.engine,
        {"MessageSid": sid, "From": phone, "To": settings.twilio_from_number, "Body": body},
        settings,
    )
    assert received.stored and received.needs_processing, body


def _waiting() -> int:
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.direction == Direction.INBOUND, Message.processed_at.is_(None))
            )
            or 0
        )


def _urgent_ticket() -> bool:
    with db.session() as session:
        return (
            session.scalar(
                select(Ticket.id)
                .join(Contractor, Contractor.id == Ticket.contractor_id)
                .where(Contractor.phone == URGENT_PHONE)
                .limit(1)
            )
            is not None
        )


def _fresh(url: str, redis_url: str, texts: list[str], args: argparse.Namespace) -> Settings:
    """An empty database with the roster seeded and the N replies stored, waiting."""
    db.dispose()
    reset_database(url)
    db.configure(url)
    settings = Settings.from_env({}, database_url=url, redis_url=redis_url)
    _seed(args.contractors)
    _store(settings, texts, args.replies, args.contractors)
    return settings


def _in_process(url: str, redis_url: str, texts: list[str], args: argparse.Namespace) -> None:
    """One reader in this process reads the stored replies as a worker's reader job does;
    prints the CPU and wall seconds it took, and SQL statements and commits per reply."""
    _fresh(url, redis_url, texts, args)
    make_ready()  # as a worker does before it forks the reader's work horse
    ahead_cpu = [0.0]
    read_ahead = reading_ahead.read_ahead

    def timed_read_ahead(*args: Any) -> reading_ahead.Ahead:
        began = time.process_time()
        try:
            return read_ahead(*args)
        finally:
            ahead_cpu[0] += time.process_time() - began

    # The reader job calls it through its module: timed there, so the figure is the job's own.
    reading_ahead.read_ahead = timed_read_ahead
    reader = Reader()
    try:
        with counting_sql(db.engine) as counted:
            started, cpu = time.perf_counter(), time.process_time()
            while reader.read_batch():
                pass
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        reading_ahead.read_ahead = read_ahead
    waiting = _waiting()
    with db.session() as session:
        failed = session.scalar(select(func.count()).where(Message.process_attempts > 0))
    if waiting or failed:
        raise SystemExit(f"{waiting} replies still waiting, {failed} failed")
    n = args.replies
    print(
        f"in-process reader: {n:,} replies in {cpu:.2f} CPU s ({n / cpu:,.0f}/CPU-s; "
        f"{ahead_cpu[0]:.2f} s of it analysing ahead), {elapsed:.2f} s wall; "
        f"{counted['statements'] / n:.2f} SQL statements and "
        f"{counted['commits'] / n:.3f} commits a reply",
        flush=True,
    )


def _round(
    url: str, redis_url: str, workers: int, texts: list[str], args: argparse.Namespace, tmp: str
) -> tuple[float, float | None]:
    """Replies read per second, and (with ``urgent``) seconds from storing the urgent reply
    to its ticket."""
    settings = _fresh(url, redis_url, texts, args)
    queues.connection.flushall()
    for drain in Drain.all:
        drain.forget()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        PULSE_ENV="test",
        TICK_SECONDS="3600",
        PYTHONPATH=str(ROOT),
    )
    logs = [Path(args.logs or tmp) / f"worker-{workers}-{n}.log" for n in range(workers)]
    procs = start_workers(logs, env, ROOT)
    urgent_seconds: float | None = None
    try:
        deadline = time.monotonic() + 60
        while len(Worker.all(connection=queues.connection)) < workers:
            if time.monotonic() > deadline:
                raise SystemExit(f"workers did not start; see {logs}")
            time.sleep(0.1)
        started = time.perf_counter()
        inbox.nudge_processing()
        urgent_at: float | None = None
        deadline = time.monotonic() + args.timeout
        while True:
            if args.urgent and urgent_at is None and time.perf_counter() - started > 0.5:
                _store_one(settings, "SM" + "f" * 32, URGENT_PHONE, URGENT)
                inbox.nudge_processing()
                urgent_at = time.perf_counter()
            if urgent_at is not None and urgent_seconds is None and _urgent_ticket():
                urgent_seconds = time.perf_counter() - urgent_at
            if _waiting() == 0 and (not args.urgent or urgent_seconds is not None):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{_waiting()} replies still waiting after {args.timeout} s")
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        stop_workers(procs)
    with db.session() as session:
        failed = session.scalar(select(func.count()).where(Message.process_attempts > 0))
    if failed:
        raise SystemExit(f"{failed} replies failed to be read; see {logs}")
    return args.replies / elapsed, urgent_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--contractors", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--logs", default="", help="keep the workers' logs in this folder")
    parser.add_argument(
        "--no-urgent", dest="urgent", action="store_false", help="skip the urgent reply"
    )
    parser.add_argument(
        "--in-process", action="store_true", help="one reader in this process: CPU s, SQL"
    )
    args = parser.parse_args()
    import_models()
    texts = _texts()
    if args.in_process:
        with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis() as redis_server:
            queues.configure(redis_server.url)
            _in_process(
                args.database_url or f"sqlite:///{tmp}/replies.sqlite3",
                redis_server.url,
                texts,
                args,
            )
            queues.close()
        db.dispose()
        return 0
    sample = [texts[n % len(texts)] for n in range(args.replies)]
    analyze(sample[0], 5, "en")  # loads the learned reader, as a worker's first reply does
    started = time.perf_counter()
    for body in sample:
        analyze(body, 5, "en")
    analysis_rate = len(sample) / (time.perf_counter() - started)

    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis() as redis_server:
        queues.configure(redis_server.url)
        for workers in args.workers:
            url = args.database_url or f"sqlite:///{tmp}/replies-{workers}.sqlite3"
            rate, urgent = _round(url, redis_server.url, workers, texts, args, tmp)
            rates[workers] = rate
            urgent_note = f"; urgent reply to ticket {urgent:.2f} s" if urgent is not None else ""
            print(
                f"{workers} worker(s): {rate:,.0f} replies/s "
                f"({rate / analysis_rate:.2f}x analyze() alone){urgent_note}",
                flush=True,
            )
        queues.close()
    db.dispose()
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(f"analyze() alone, one core: {analysis_rate:,.0f} replies/s")
    if 1 in rates and 2 in rates:
        print(f"scaling, 2 workers / 1: {rates[2] / rates[1]:.2f}x")
    print(f"{backend}; {args.replies:,} replies from {args.contractors:,} contractors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
