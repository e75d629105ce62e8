"""Fan-out: how long the tick takes to create the due invitations for a whole roster and make
their sends ready, next to a bare Redis pipeline of as many RPUSHes, and their ratio.

"Ready" means what a dispatcher needs to start sending: the invitations committed (the table is
the outbox) and one nudge to the outbound drain. One RQ job per send would cost an enqueue per
invitation; the provider's rate is what limits sending, so the queue holds one dispatcher.

    .venv/bin/python benchmarks/fanout.py [--sizes 10000 100000] [--database-url URL]

The default database is a fresh SQLite file per size. A PostgreSQL URL must name a database
this script may empty (its schema is dropped and rebuilt for each size).
"""

from __future__ import annotations

import argparse
import resource
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from benchmarks import reset_database  # noqa: E402
from core.app import import_models  # noqa: E402
from core.db import db  # noqa: E402
from core.queue import Drain, EmbeddedRedis, queues  # noqa: E402
from outreach import delivery  # noqa: E402
from outreach.models import Contractor, Invitation, Survey  # noqa: E402
from outreach.schedule import local_today, plan_invitations  # noqa: E402

SEED_CHUNK = 50_000  # seeding a million contractors at once would dwarf what planning uses

ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Pacific/Honolulu"]


def _seed(count: int) -> None:
    """A roster of ``count`` contractors on day 3 of their assignment: all due now."""
    now = datetime.now(UTC)
    with db.session() as session:
        session.add(
            Survey(
                key="pulse",
                name="Pulse",
                question="How is it going?",
                sms_template="Hi {first_name}, how is {client}? Reply 1-{scale_max}.",
                email_subject="How is {client}?",
                email_template="Hi {first_name}",
                onboarding_days=[3, 14, 30, 45],
                pulse_every_days=30,
            )
        )
        rows: list[dict[str, object]] = []
        for n in range(count):
            zone = ZONES[n % len(ZONES)]
            rows.append(
                {
                    "external_id": f"B-{n:07d}",
                    "name": f"Contractor {n}",
                    "phone": f"+1415{n:07d}",
                    "email": f"c{n}@example.com",
                    "timezone": zone,
                    "channel": "sms",
                    "start_date": local_today(zone, now) - timedelta(days=3),
                    "client": f"Client {n % 50}",
                    "account_manager": f"Manager {n % 20}",
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(rows) == SEED_CHUNK:
                session.execute(Contractor.__table__.insert(), rows)
                rows.clear()
        if rows:
            session.execute(Contractor.__table__.insert(), rows)


def _fanout() -> tuple[float, int]:
    started = time.perf_counter()
    with db.session() as session:
        created = plan_invitations(session)
    delivery.nudge_dispatch()
    return time.perf_counter() - started, created


def _rpush(connection: redis.Redis, count: int) -> float:
    payload = secrets.token_hex(8)
    connection.delete("bench:rpush")
    started = time.perf_counter()
    pipe = connection.pipeline(transaction=False)
    for _ in range(count):
        pipe.rpush("bench:rpush", payload)
    pipe.execute()
    elapsed = time.perf_counter() - started
    connection.delete("bench:rpush")
    return elapsed


def _peak_rss_mb() -> float:
    """This process's peak resident memory since the last _reset_peak_rss (Linux: VmHWM, in
    kilobytes), or since it started where the peak cannot be reset."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> bool:
    """Start the peak over from the current resident memory (Linux's clear_refs "5"), so the
    fan-out's peak is not the seeding's or the RPUSH pipeline's. False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _fanout_peak(peaks: list[tuple[float, float]]) -> str:
    if not peaks:
        return "n/a"
    peak, rise = max(peaks)
    return f"{peak:.0f} (+{max(rise, 0.0):.0f})"  # a rise under 1 MB can round to -0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()
    import_models()

    print(
        f"{'contractors':>12} {'plan + ready s':>15} {'RPUSH pipeline s':>17} {'ratio':>7}"
        f" {'peak RSS MB':>12} {'fan-out peak (rise) MB':>22}"
    )
    overall = 0.0  # the whole process's peak RSS, MB
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis() as redis_server:
        queues.configure(redis_server.url)
        connection = redis.Redis.from_url(redis_server.url)
        for size in args.sizes:
            fanouts, pushes = [], []
            fanout_peaks: list[tuple[float, float]] = []  # (peak, rise over the start) MB
            for round_ in range(args.rounds):
                url = args.database_url or f"sqlite:///{tmp}/fanout-{size}-{round_}.sqlite3"
                db.dispose()
                reset_database(url)
                db.configure(url)
                _seed(size)
                connection.flushall()
                for drain in Drain.all:
                    drain.forget()
                # Resetting forgets the peak so far (getrusage's too): keep it first.
                overall = max(overall, _peak_rss_mb())
                resettable = _reset_peak_rss()
                before = _peak_rss_mb()  # just reset: what the process holds now
                elapsed, created = _fanout()
                if resettable:
                    fanout_peaks.append((_peak_rss_mb(), _peak_rss_mb() - before))
                with db.session() as session:
                    stored = session.scalar(select(func.count()).select_from(Invitation))
                if created != size or stored != size:
                    raise SystemExit(f"expected {size} invitations, created {created}")
                fanouts.append(elapsed)
                pushes.append(_rpush(connection, size))
            fanout, push = statistics.median(fanouts), statistics.median(pushes)
            overall = max(overall, _peak_rss_mb())
            print(
                f"{size:>12,} {fanout:>15.3f} {push:>17.3f} {fanout / push:>6.1f}x"
                f" {overall:>12.0f} {_fanout_peak(fanout_peaks):>22}"
            )
        connection.close()
        queues.close()
    db.dispose()
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(
        f"{backend}; median of {args.rounds} rounds; one nudge makes all the sends ready; "
        "peak RSS is the whole process's (seeding and the RPUSH pipeline included); fan-out "
        "peak is the highest resident memory while planning and making ready, and its rise "
        "over what the process held before (n/a: not measurable here)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
