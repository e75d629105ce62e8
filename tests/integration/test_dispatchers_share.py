"""A backlog bigger than one batch wakes more dispatchers, on other workers, and they share it:
every invitation goes out exactly once."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from rq import Queue
from rq.registry import FinishedJobRegistry
from sqlalchemy import select

from core.config import Settings
from core.db import db
from core.queue import OUTBOUND
from outreach.delivery import nudge_dispatch
from outreach.delivery.dispatcher import BATCH
from outreach.models import Invitation
from tests.integration.conftest import Live
from tests.outreach_helpers import (
    invitations_open_now,
    start_worker,
    stop_worker,
    worker_env,
)

pytestmark = pytest.mark.slow

COUNT = BATCH * 3 // 2


def test_dispatch_backlog_over_a_batch_wakes_a_second_dispatcher_and_each_sends_once(
    live: Live, tmp_path: Path
) -> None:
    invitations_open_now(COUNT)
    settings: Settings = live.app.config["SETTINGS"]
    env = worker_env(settings, SMS_SEGMENTS_PER_SECOND="100000")
    workers = [start_worker(env, tmp_path / f"worker-{i}.log") for i in range(2)]
    queue = Queue(OUTBOUND, connection=live.redis)
    finished = FinishedJobRegistry(queue=queue)
    try:
        assert nudge_dispatch()  # one nudge: one dispatcher, as the tick does
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (
            len(live.sandbox.sms()) < COUNT or queue.count or len(finished) < 2
        ):
            time.sleep(0.2)
    finally:
        for worker in workers:
            stop_worker(worker)
    with db.session() as session:
        statuses = Counter(session.scalars(select(Invitation.status)))
    assert statuses == {"sent": COUNT}
    sent_to = Counter(m["to"] for m in live.sandbox.sms())
    assert len(sent_to) == COUNT and set(sent_to.values()) == {1}
    # The first dispatcher woke at least one more, and that one sent a share too.
    done = [queue.fetch_job(job_id) for job_id in finished.get_job_ids()]
    shares = sorted((job.return_value() or 0) for job in done if job is not None)
    assert len(shares) >= 2, shares
    assert sum(1 for share in shares if share > 0) >= 2, shares
