"""Redis stalls (SIGSTOP): webhooks still answer at once, and every reply they stored is read
once Redis is back."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
import requests

from core.queue import EmbeddedRedis
from outreach import tick
from tests.integration.conftest import Live
from tests.outreach_helpers import inbound_stored_and_read

pytestmark = pytest.mark.slow

REPLIES = 40


@pytest.fixture
def private_redis() -> Iterator[EmbeddedRedis]:
    """A redis-server of this test's own, which it may stop without stalling other tests."""
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
def redis_url(private_redis: EmbeddedRedis) -> str:
    return private_redis.url


def test_redis_stalled_webhooks_answer_within_a_second_and_no_reply_is_lost(
    live: Live, private_redis: EmbeddedRedis
) -> None:
    assert private_redis.pid is not None
    assert live.sandbox.reply("+12125550100", "5 all good before the stall") == 200
    live.work()
    latencies, statuses = [], []
    os.kill(private_redis.pid, signal.SIGSTOP)
    try:
        health_started = time.monotonic()
        health = requests.get(f"{live.url}/healthz", timeout=10)
        health_seconds = time.monotonic() - health_started
        # Spread over longer than the pause, so the stalled Redis is tried again meanwhile.
        for n in range(REPLIES):
            started = time.monotonic()
            statuses.append(live.sandbox.reply(f"+1212555{n:04d}", f"{n % 5 + 1} my pay is late"))
            latencies.append(time.monotonic() - started)
            time.sleep(0.2)
    finally:
        os.kill(private_redis.pid, signal.SIGCONT)
    p99 = sorted(latencies)[int(0.99 * len(latencies))]
    print(f"during a Redis stall: webhook p99 {p99:.3f} s, max {max(latencies):.3f} s")
    assert statuses == [200] * REPLIES
    assert p99 < 1.0, latencies
    assert health.status_code == 503 and health.json()["redis"].startswith("error")
    assert health_seconds < 1.0

    # Redis is back: the tick's sweep wakes a reader for what the skipped nudges left.
    tick.tick()
    live.work()
    assert inbound_stored_and_read() == (REPLIES + 1, REPLIES + 1)
