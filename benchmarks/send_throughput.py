"""Send throughput: survey texts sent per second end to end by 1 and 2 real
`flask --app wsgi worker` processes, next to bare Twilio SDK calls to the same sandbox; and, with
a per-sender rate limit set, the rate the provider saw as a share of that limit.

Each round starts from an empty database: N contractors, each with one scheduled invitation
inside its send window. The sandbox (Twilio's Messages API on 127.0.0.1) answers at once. The
workers are started and registered before the clock runs; it runs from the nudge that wakes a
dispatcher (the tick's own call) until every invitation is ``sent``.

- "unpaced": a limit far above what the machine can send, so the dispatchers are the limit.
- "paced": ``--rate`` segments per second for the one sender; the figure is the rate the
  sandbox saw after the first window's allowance had arrived (which any limiter grants at
  once; see ``_steady_rate``), with the older "all but the allowance over the whole span"
  figure next to it, and the busiest one-second window, which must never exceed the limit.
- "bare SDK": the same number of messages sent by one process in a loop through the twilio
  SDK, with no database: what the provider call alone costs.
- "per send": SQL statements and commits per invitation sent, counted by SQLAlchemy engine
  events while one dispatcher in this process sends 200 invitations unpaced, and the
  milliseconds a send took there, in all and of this process's CPU (the sandbox's too).

    .venv/bin/python benchmarks/send_throughput.py [--invitations 1000] [--database-url URL]
        [--parts statements unpaced paced] [--rate 20]

The default database is a fresh SQLite file per round. A PostgreSQL URL must name a database
this script may empty (its schema is dropped and rebuilt for each round).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rq import Worker  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from benchmarks import counting_sql, reset_database, seed_pulse, start_workers, stop_workers  # noqa: E402
from core import config  # noqa: E402
from core.app import import_models  # noqa: E402
from core.config import SANDBOX_TWILIO_AUTH_TOKEN, Settings  # noqa: E402
from core.db import db  # noqa: E402
from core.queue import Drain, EmbeddedRedis, queues  # noqa: E402
from outreach.channels import OutboundMessage  # noqa: E402
from outreach.channels.twilio_sms import TwilioSMS  # noqa: E402
from outreach.delivery import Dispatcher, nudge_dispatch  # noqa: E402
from outreach.models import Invitation, InvitationStatus  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402

UNPACED = 100_000.0  # segments per second: never the limit here
PARTS = ("statements", "unpaced", "paced")


# Places whose clocks are far enough apart that one of them is inside the hard 08:00-20:00
# window at any hour: contractors in UTC could be sent nothing from 20:00 UTC on.
PLACES = ("UTC", "America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Asia/Tokyo")


def _open_place(at: datetime) -> str:
    """A place where it is now between 09:00 and 19:00, well inside the window for a run."""
    return next(p for p in PLACES if 9 <= at.astimezone(ZoneInfo(p)).hour < 19)


def _seed(count: int) -> None:
    """``count`` contractors, each with one invitation that may go now (an all-day window)."""
    at = datetime.now(UTC)
    seed_pulse(
        [f"+1415{n:07d}" for n in range(count)],
        timezone=_open_place(at),
        started=lambda _n: date(2026, 1, 5),
        invitation={
            "status": InvitationStatus.SCHEDULED.value,
            "send_attempts": 0,
            "expires_at": at + timedelta(days=1),
        },
        onboarding_days=[],
        window_start="00:00",
        window_end="23:59",
        weekdays_only=False,
    )


def _fresh(url: str, sandbox: Sandbox, count: int) -> None:
    """An empty database with ``count`` invitations due, and nothing sent or queued yet."""
    db.dispose()
    reset_database(url)
    db.configure(url)
    _seed(count)
    sandbox.reset()
    queues.connection.flushall()


def _sent() -> int:
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.status != InvitationStatus.SCHEDULED)
                .where(Invitation.status != InvitationStatus.SENDING)
            )
            or 0
        )


def _busiest_second(arrivals: list[tuple[float, int]]) -> int:
    """The most segments that arrived in any window [t, t + 1 s) starting at an arrival."""
    arrivals = sorted(arrivals)
    most, start = 0, 0
    in_window = 0
    for end in range(len(arrivals)):
        in_window += arrivals[end][1]
        while arrivals[end][0] - arrivals[start][0] >= 1.0:
            in_window -= arrivals[start][1]
            start += 1
        most = max(most, in_window)
    return most


def _steady_rate(arrivals: list[tuple[float, int]], rate: float) -> float:
    """Segments per second the provider saw once the first window's allowance had arrived.

    Any limiter lets the first ``rate`` segments through at once, so they say nothing about
    its pace; the rate is counted from the arrival that completed them to the last arrival.
    (Counting "all but the allowance" over the whole span instead charges the limiter for the
    time the workers take to send that allowance: a worker doing 50 sends/s spreads 20 over
    0.4 s, which alone keeps a 10 s run under 96% of any limit.)
    """
    arrivals = sorted(arrivals)
    seen = 0
    for index, (at, segments) in enumerate(arrivals):
        seen += segments
        if seen >= rate:
            after = sum(s for _, s in arrivals[index + 1 :])
            span = arrivals[-1][0] - at
            return after / span if span > 0 else 0.0
    return 0.0


def _round(
    url: str,
    redis_url: str,
    sandbox: Sandbox,
    *,
    workers: int,
    count: int,
    rate: float,
    args: argparse.Namespace,
    tmp: str,
) -> tuple[float, list[tuple[float, int]]]:
    """Seconds from the nudge until every invitation has gone, and what the sandbox saw."""
    _fresh(url, sandbox, count)
    for drain in Drain.all:
        drain.forget()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SENDGRID_"))}
    env.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        PULSE_ENV="test",
        TICK_SECONDS="3600",
        SANDBOX_URL=sandbox.url,
        TWILIO_AUTH_TOKEN=SANDBOX_TWILIO_AUTH_TOKEN,
        SMS_SEGMENTS_PER_SECOND=str(rate),
        PYTHONPATH=str(ROOT),
    )
    logs = [Path(args.logs or tmp) / f"worker-{workers}-{n}.log" for n in range(workers)]
    procs = start_workers(logs, env, ROOT)
    try:
        deadline = time.monotonic() + 60
        while len(Worker.all(connection=queues.connection)) < workers:
            if time.monotonic() > deadline:
                raise SystemExit(f"workers did not start; see {logs}")
            time.sleep(0.1)
        started = time.perf_counter()
        nudge_dispatch()
        deadline = time.monotonic() + args.timeout
        while _sent() < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"{count - _sent()} invitations not sent; see {logs}")
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        stop_workers(procs)
    sms = sandbox.sms()
    if len(sms) != count:
        raise SystemExit(f"the sandbox took {len(sms)} texts for {count} invitations")
    return elapsed, [(m["arrived_at"], m["num_segments"]) for m in sms]


def _statements_per_send(
    url: str, sandbox: Sandbox, count: int
) -> tuple[float, float, float, float]:
    """SQL statements and commits per invitation sent, counted by SQLAlchemy events on the
    engine while one dispatcher (in this process, unpaced) sends ``count`` invitations, and the
    seconds a send took there, in all and of this process's CPU (the sandbox's included)."""
    _fresh(url, sandbox, count)
    config.activate(
        Settings.from_env(
            {},
            database_url=url,
            sandbox_url=sandbox.url,
            twilio_auth_token=SANDBOX_TWILIO_AUTH_TOKEN,
            sms_segments_per_second=UNPACED,
        )
    )
    dispatcher = Dispatcher.from_settings(config.active())
    with counting_sql(db.engine) as counted:
        started, cpu = time.perf_counter(), time.process_time()
        while dispatcher.send_batch():
            pass
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    sent = len(sandbox.sms())
    if sent != count:
        raise SystemExit(f"the sandbox took {sent} texts for {count} invitations")
    sandbox.reset()
    return counted["statements"] / count, counted["commits"] / count, elapsed / count, cpu / count


def _bare_sdk(sandbox: Sandbox, count: int) -> float:
    """Messages per second sent by one process straight through the twilio SDK."""
    settings = Settings.from_env(
        {}, sandbox_url=sandbox.url, twilio_auth_token=SANDBOX_TWILIO_AUTH_TOKEN
    )
    channel = TwilioSMS(settings)
    sandbox.reset()
    started = time.perf_counter()
    for n in range(count):
        channel.send(
            OutboundMessage(
                to=f"+1415{n:07d}",
                body="Hi Contractor, how is Client 1? Reply 1-5.",
                message_id=n + 1,
                invitation_id=n + 1,
            )
        )
    elapsed = time.perf_counter() - started
    sandbox.reset()
    return count / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invitations", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rate", type=float, default=20.0, help="paced: segments/s per sender")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--logs", default="", help="keep the workers' logs in this folder")
    parser.add_argument(
        "--parts", nargs="+", choices=PARTS, default=list(PARTS), help="default: all of them"
    )
    args = parser.parse_args()
    import_models()

    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedRedis() as redis_server,
        Sandbox(auth_token=SANDBOX_TWILIO_AUTH_TOKEN) as sandbox,
    ):
        queues.configure(redis_server.url)

        def url(name: str) -> str:
            return args.database_url or f"sqlite:///{tmp}/{name}.sqlite3"

        if "statements" in args.parts:
            statements, commits, seconds, cpu = _statements_per_send(
                url("statements"), sandbox, 200
            )
            print(
                f"per send: {statements:.1f} SQL statements, {commits:.1f} commits, "
                f"{seconds * 1000:.1f} ms, {cpu * 1000:.1f} ms of CPU here "
                "(one dispatcher and the sandbox in this process, unpaced)"
            )
        bare = _bare_sdk(sandbox, args.invitations)
        print(f"bare twilio SDK calls, one process:     {bare:8.1f}/s")
        unpaced: dict[int, float] = {}
        for workers in args.workers if "unpaced" in args.parts else []:
            elapsed, _ = _round(
                url(f"unpaced-{workers}"),
                redis_server.url,
                sandbox,
                workers=workers,
                count=args.invitations,
                rate=UNPACED,
                args=args,
                tmp=tmp,
            )
            unpaced[workers] = args.invitations / elapsed
            print(
                f"sends end to end, {workers} worker(s):      {unpaced[workers]:8.1f}/s"
                f"  ({unpaced[workers] / bare:.2f}x bare)"
            )
        if len(unpaced) > 1:
            few, many = min(unpaced), max(unpaced)
            print(
                f"scaling {many} vs {few} worker(s):            {unpaced[many] / unpaced[few]:.2f}x"
            )
        paced_count = round(args.rate * args.paced_seconds)
        for workers in args.workers if "paced" in args.parts else []:
            _, arrivals = _round(
                url(f"paced-{workers}"),
                redis_server.url,
                sandbox,
                workers=workers,
                count=paced_count,
                rate=args.rate,
                args=args,
                tmp=tmp,
            )
            first = min(at for at, _ in arrivals)
            last = max(at for at, _ in arrivals)
            total = sum(segments for _, segments in arrivals)
            achieved = (total - args.rate) / (last - first)
            steady = _steady_rate(arrivals, args.rate)
            print(
                f"paced at {args.rate:g}/s, {workers} worker(s): {steady:6.2f} segments/s "
                f"= {steady / args.rate:.1%} of the limit after the first allowance "
                f"(from the start: {achieved / args.rate:.1%}); busiest 1 s window "
                f"{_busiest_second(arrivals)} (limit {args.rate:g})"
            )
        queues.close()
    db.dispose()
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(f"{backend}; {args.invitations} invitations unpaced, {paced_count} paced")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
