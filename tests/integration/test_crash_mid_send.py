"""A worker process killed (SIGKILL) in the middle of sends: after recovery, the provider's
record shows every invitation sent exactly once."""

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
from core.queue import DEFAULT
from outreach import delivery
from outreach.models import Invitation
from tests.integration.conftest import Live
from tests.outreach_helpers import (
    invitations_open_now,
    kill_worker,
    start_worker,
    stop_worker,
    worker_env,
)

pytestmark = pytest.mark.slow

COUNT = 12
LATENCY = 0.4  # seconds the provider takes to answer each send
RECOVERY = 2  # SEND_RECOVERY_SECONDS for this test


def _wait_for(what: str, done: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_mid_send_then_recovered_sends_every_invitation_exactly_once(
    live: Live, tmp_path: Path
) -> None:
    phones = invitations_open_now(COUNT, email=None)
    settings: Settings = live.app.config["SETTINGS"]
    env = worker_env(settings, SMS_SEGMENTS_PER_SECOND="50", SEND_RECOVERY_SECONDS=str(RECOVERY))
    live.sandbox.set_latency(LATENCY)
    log = tmp_path / "workers.log"

    doomed = start_worker(env, log)
    try:
        delivery.nudge_dispatch()  # what the tick does: one nudge, one dispatcher
        _wait_for(
            "a send in flight after a few went through",
            lambda: len(live.sandbox.sms()) >= 3 and live.sandbox.in_flight() == 1,
        )
        kill_worker(doomed)  # SIGKILL, the worker and the work horse doing the sends
    finally:
        stop_worker(doomed)
    # The provider finishes the request it was answering; the worker never hears back.
    _wait_for("the provider to finish", lambda: live.sandbox.in_flight() == 0)
    time.sleep(0.1)  # and to record it
    before = len(live.sandbox.sms())
    with db.session() as session:
        statuses = Counter(session.scalars(select(Invitation.status)))
    assert statuses["sending"] == 1, statuses  # the one it died on
    assert before < COUNT

    survivor = start_worker(env, log)
    try:
        time.sleep(RECOVERY + 0.5)  # the dead dispatcher's heartbeat and the grace run out
        tick = Queue(DEFAULT, connection=live.redis).enqueue("outreach.tick.tick")

        def all_sent() -> bool:
            with db.session() as session:
                return set(session.scalars(select(Invitation.status))) == {"sent"}

        _wait_for("every invitation to be sent", all_sent)
        result = Job.fetch(tick.id, connection=live.redis).return_value()
    finally:
        stop_worker(survivor)

    sent_to = Counter(m["to"] for m in live.sandbox.sms())
    assert sent_to == Counter(phones), f"sent twice or never: {sent_to}\n{log.read_text()[-3000:]}"
    # The killed send had reached the provider: recovery found it there instead of resending.
    assert result is not None and (result["found_sent"], result["resent"]) == (1, 0), (
        result,
        log.read_text()[-6000:],
    )
