"""A reader (RQ work horse) SIGKILLed in the middle of a batch: the replies it left, and those
that keep arriving, are read within seconds, not when its drain flag would have expired."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rq import Queue

from core.config import Settings
from core.db import db
from core.queue import DEFAULT
from outreach import inbox
from tests.integration.conftest import Live
from tests.outreach_helpers import (
    inbound_stored_and_read,
    kill_worker,
    start_worker,
    stop_worker,
    worker_env,
)

pytestmark = pytest.mark.slow

WAITING = 300  # replies stored before the reader starts: enough that it dies mid-batch
LEASE = inbox.INBOUND_DRAIN.lease


def _wait_for(what: str, done: Callable[[], bool], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if done():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _store_replies(live: Live, count: int, first: int) -> None:
    settings: Settings = live.app.config["SETTINGS"]
    for n in range(first, first + count):
        inbox.receive_sms(
            db.engine,
            {
                "MessageSid": f"SM{n:032x}",
                "From": f"+1212555{n % 10000:04d}",
                "To": settings.twilio_from_number,
                "Body": f"{n % 5 + 1} the timecard portal is down again",
            },
            settings,
        )


def _kill_reader_mid_batch(live: Live, tmp_path: Path) -> float:
    """Start a real worker on WAITING stored replies, SIGKILL it once it has read some but
    not all, and return the monotonic time of the kill."""
    _store_replies(live, WAITING, first=0)
    env = worker_env(live.app.config["SETTINGS"])
    doomed = start_worker(env, tmp_path / "doomed.log")
    try:
        assert inbox.nudge_processing() is True
        _wait_for(
            "the reader to be part-way through", lambda: inbound_stored_and_read()[1] >= 5, 120
        )
        kill_worker(doomed)
    finally:
        stop_worker(doomed)
    killed_at = time.monotonic()
    total, read = inbound_stored_and_read()
    assert read < total, "the reader finished before it could be killed"
    assert live.redis.exists(inbox.INBOUND_DRAIN.flag), "the dead reader left no flag"
    return killed_at


def test_reader_killed_mid_batch_replies_that_keep_arriving_are_read_within_the_lease(
    live: Live, tmp_path: Path
) -> None:
    killed_at = _kill_reader_mid_batch(live, tmp_path)
    survivor = start_worker(worker_env(live.app.config["SETTINGS"]), tmp_path / "survivor.log")
    try:
        # Contractors keep texting, as they did when 531 replies waited ten minutes.
        sent, last_sent = 0, 0.0

        def all_read() -> bool:
            nonlocal sent, last_sent
            if time.monotonic() - last_sent > 0.5:
                assert live.sandbox.reply(f"+1646555{sent:04d}", "3 ok I guess") == 200
                sent, last_sent = sent + 1, time.monotonic()
            total, read = inbound_stored_and_read()
            return read == total == WAITING + sent

        _wait_for("every reply to be read", all_read, 60)
        delay = time.monotonic() - killed_at
    finally:
        stop_worker(survivor)
    print(f"replies delayed by a killed reader, with replies arriving: {delay:.1f} s")
    assert delay < LEASE + 10, delay


def test_reader_killed_mid_batch_tick_has_every_reply_read_within_a_tick(
    live: Live, tmp_path: Path
) -> None:
    killed_at = _kill_reader_mid_batch(live, tmp_path)
    settings: Settings = live.app.config["SETTINGS"]
    survivor = start_worker(worker_env(settings), tmp_path / "survivor.log")
    try:
        # Nobody texts any more: only the tick can notice. It runs once, as soon as the dead
        # reader has missed two renewals of its lease (well inside any TICK_SECONDS).
        time.sleep(max(0.0, killed_at + 2.5 * inbox.INBOUND_DRAIN.renew_every - time.monotonic()))
        Queue(DEFAULT, connection=live.redis).enqueue("outreach.tick.tick")
        _wait_for("every reply to be read", lambda: inbound_stored_and_read()[1] == WAITING, 60)
        delay = time.monotonic() - killed_at
    finally:
        stop_worker(survivor)
    print(f"replies delayed by a killed reader, tick only: {delay:.1f} s")
    assert delay < settings.tick_seconds, delay
