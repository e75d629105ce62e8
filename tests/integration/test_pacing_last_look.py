"""The last look before a paced send runs while its slot is about to open, so its database
round trips do not delay the send (and, through the moving window, every later one)."""

from __future__ import annotations

import secrets
import time

import redis

from outreach.pacing import Pacer, Turn

SLOW_LOOK = 0.2  # seconds: a last look slowed down by a busy database


def test_pacer_slow_last_look_runs_before_the_slot_so_the_send_is_not_late(
    redis_conn: redis.Redis,
) -> None:
    pacer = Pacer(redis_conn, 1, margin=0.0, look_ahead=0.3)
    sender = f"+1500{secrets.randbelow(10**7):07d}"
    assert pacer.acquire(sender, 1, timeout=5) is Turn.TAKEN
    slot_opens = time.time() + pacer.window
    looked_at: list[float] = []

    def slow_look() -> bool:
        looked_at.append(time.time())
        time.sleep(SLOW_LOOK)
        return True

    assert pacer.acquire(sender, 1, timeout=5, ready=slow_look) is Turn.TAKEN
    taken_at = time.time()
    assert len(looked_at) == 1
    assert looked_at[0] < slot_opens - SLOW_LOOK + 0.02  # done by the time the slot opened
    # Taken when the slot opened, not a slow look later; and never before it.
    assert slot_opens - 0.01 <= taken_at < slot_opens + SLOW_LOOK / 2


def test_pacer_slot_taken_by_another_worker_means_a_fresh_last_look(
    redis_conn: redis.Redis,
) -> None:
    """A look taken for a slot another worker then took is not trusted a second later."""
    pacer = Pacer(redis_conn, 1, margin=0.0, look_ahead=0.3)
    sender = f"+1500{secrets.randbelow(10**7):07d}"
    assert pacer.acquire(sender, 1, timeout=5) is Turn.TAKEN
    looks: list[float] = []

    def look_then_lose_the_slot() -> bool:
        looks.append(time.time())
        if len(looks) == 1:
            time.sleep(0.35)  # the slot opens meanwhile...
            assert pacer.try_acquire(sender, 1) == 0.0  # ...and another worker takes it
        return True

    assert pacer.acquire(sender, 1, timeout=5, ready=look_then_lose_the_slot) is Turn.TAKEN
    assert len(looks) == 2
    assert looks[1] - looks[0] > 0.5
