"""The pacing window counts a send from when the provider answered, and takes atomically."""

from __future__ import annotations

import secrets
import threading
import time
from itertools import pairwise

import redis

from outreach.pacing import Pacer, Turn


def _sender() -> str:
    return f"+1500{secrets.randbelow(10**7):07d}"


def test_pacer_send_counts_from_the_provider_answer_so_a_slow_request_delays_the_next(
    redis_conn: redis.Redis,
) -> None:
    """A request that took 0.4 s to be answered may have reached the provider 0.4 s after its
    turn: the next turn comes a window after the answer, not a window after the take."""
    pacer = Pacer(redis_conn, 1, margin=0.0)
    sender = _sender()
    assert pacer.try_acquire(sender, 1) == 0.0
    time.sleep(0.4)  # the provider call
    answered = time.time()
    pacer.sent(sender)
    wait = pacer.room_in(sender, 1)
    assert 0.95 <= wait <= 1.0
    assert pacer.acquire(sender, 1, timeout=5) is Turn.TAKEN
    assert time.time() >= answered + 1.0


def test_pacer_unanswered_turn_still_counts_from_its_take(redis_conn: redis.Redis) -> None:
    """A worker killed mid-send never says ``sent``: its turn holds the window as taken."""
    pacer = Pacer(redis_conn, 2, margin=0.0)
    sender = _sender()
    taken = time.time()
    assert pacer.try_acquire(sender, 2) == 0.0
    assert pacer.try_acquire(sender, 1) > 0.9
    assert pacer.acquire(sender, 1, timeout=5) is Turn.TAKEN
    assert time.time() >= taken + 1.0


def test_pacer_threads_racing_for_one_sender_never_take_more_than_the_limit_per_second(
    redis_conn: redis.Redis,
) -> None:
    """Eight workers' worth of pacers hammering one sender: no one-second span between any
    two takes holds more than the limit (the look and the take are one script)."""
    rate, sender = 10, _sender()
    takes: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        pacer = Pacer(redis.Redis(connection_pool=redis_conn.connection_pool), rate, margin=0.0)
        for _ in range(5):
            assert pacer.acquire(sender, 1, timeout=20) is Turn.TAKEN
            with lock:
                takes.append(time.time())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    takes.sort()
    assert len(takes) == 40
    # Any rate + 1 consecutive takes span a second. Our clock reads a take a moment after
    # Redis stamped it (longer on a busy machine); a race would put two takes microseconds
    # apart, far below this.
    closest = min(b - a for a, b in zip(takes, takes[rate:], strict=False))
    assert closest >= 0.8


def test_pacer_first_window_is_spread_not_sent_in_one_burst(redis_conn: redis.Redis) -> None:
    """Ten segments a second: the first ten turns, free as far as the window goes, are still
    taken at least 0.8 of a tenth of a second apart, by the Redis server's own clock."""
    pacer = Pacer(redis_conn, 10, margin=0.0, spread=0.8)
    sender = _sender()
    for _ in range(4):
        assert pacer.acquire(sender, 1, timeout=5) is Turn.TAKEN
    stamps = [
        score
        for _, score in redis_conn.zrange(f"pulse:pace:window:{sender}", 0, -1, withscores=True)
    ]
    assert len(stamps) == 4
    gaps = [later - earlier for earlier, later in pairwise(stamps)]
    assert min(gaps) >= 0.08 * 1_000_000  # microseconds
