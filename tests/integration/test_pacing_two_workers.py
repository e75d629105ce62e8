"""Two real worker processes sending from one number share its limit through Redis: never
more than the limit in any one-second window at the provider, and close to the limit."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from core.config import Settings
from core.db import db
from core.queue import OUTBOUND
from outreach.models import Invitation
from tests.integration.conftest import Live
from tests.outreach_helpers import (
    invitations_open_now,
    start_worker,
    stop_worker,
    worker_env,
)

pytestmark = pytest.mark.slow

RATE = 5  # segments per second
COUNT = 60


def busiest_second(arrivals: list[tuple[float, int]]) -> int:
    """The most segments that arrived in any window [t, t + 1 s) starting at an arrival."""
    arrivals = sorted(arrivals)
    return max(
        sum(segments for at, segments in arrivals if start <= at < start + 1.0)
        for start, _ in arrivals
    )


def test_two_workers_never_exceed_the_sender_limit_and_reach_90_percent_of_it(
    live: Live, tmp_path: Path
) -> None:
    invitations_open_now(COUNT)
    settings: Settings = live.app.config["SETTINGS"]
    env = worker_env(settings, SMS_SEGMENTS_PER_SECOND=str(RATE))
    workers = [start_worker(env, tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        queue = Queue(OUTBOUND, connection=live.redis)
        jobs = [queue.enqueue("outreach.delivery.dispatch", job_timeout=300) for _ in workers]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not all(
            j.get_status(refresh=True) == "finished" for j in jobs
        ):
            time.sleep(0.2)
    finally:
        for worker in workers:
            stop_worker(worker)
    sent = live.sandbox.sms()
    with db.session() as session:
        statuses = Counter(session.scalars(select(Invitation.status)))
    assert len(sent) == COUNT, (statuses, [j.get_status() for j in jobs], live.sandbox.rejected())
    # Both workers sent: the limit held because they shared it, not because one sat idle.
    assert all((Job.fetch(j.id, connection=live.redis).return_value() or 0) > 0 for j in jobs)

    arrivals = sorted((m["arrived_at"], m["num_segments"]) for m in sent)
    worst = busiest_second(arrivals)
    # Throughput once the first window's allowance (which any limiter grants at once) has
    # arrived: counted from its last arrival, not from the first, so the time the workers
    # take to send the allowance itself is not charged to the limiter.
    assert {s for _, s in arrivals} == {1}  # so the allowance is the first RATE arrivals
    first, last = arrivals[RATE - 1][0], arrivals[-1][0]
    achieved = sum(s for _, s in arrivals[RATE:]) / (last - first)
    times = [a for a, _ in arrivals]
    closest = min(later - earlier for earlier, later in zip(times, times[RATE:], strict=False))
    print(
        f"\npacing: busiest 1 s window {worst} segments; {achieved:.2f} segments/s "
        f"({achieved / RATE:.0%} of {RATE}/s) over {last - first:.1f} s; "
        f"closest sends {RATE} apart: {closest:.3f} s"
    )
    assert worst <= RATE
    assert achieved >= 0.9 * RATE
