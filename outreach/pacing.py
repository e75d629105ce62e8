"""Per-sender pacing in SMS segments per second, shared by every worker through Redis.

Carriers and Twilio count a sender's throughput in segments per second (a US long code: 1).
Every worker that sends from the same number asks the same Redis-backed moving window
(``limits``' :class:`~limits.strategies.MovingWindowRateLimiter`) before each send, so adding
workers adds no throughput beyond the sender's limit.

Two details make the limit hold where it is measured, at the provider:

- A window admits the next send the instant the oldest entry turns one second old, and two
  requests do not take exactly the same time to reach the provider. So a send is only admitted
  when the window, stretched by a small ``margin``, has room; the library's own one-second
  check stays as the hard limit. The check and the hit happen under a short Redis lock, so two
  workers cannot both slip into the same gap.
- A message longer than the per-second allowance is paid for in instalments: a three-segment
  text at one segment per second waits until three seconds' worth of capacity is its own.
- What takes time before a send (reading consent from the database) happens between waiting
  for room and taking it, so the send follows the take at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import StrEnum
from fractions import Fraction

import redis
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from core import metrics

DEFAULT_MARGIN = 0.05  # seconds
# How long before its slot a send takes its last look (see Pacer.acquire).
LOOK_AHEAD = 0.05  # seconds
_LOCK_SECONDS = 2.0


class Turn(StrEnum):
    TAKEN = "taken"  # send now
    TIMEOUT = "timeout"  # the sender stayed busy: hand the work back
    DECLINED = "declined"  # the caller's last look said not to send after all


def rate_item(segments_per_second: float) -> RateLimitItem:
    """``N per M seconds`` with M as small as possible: 5/s -> 5 per 1 s, 0.5/s -> 1 per 2 s."""
    if segments_per_second <= 0:
        raise ValueError("segments per second must be positive")
    ratio = Fraction(segments_per_second).limit_denominator(60)
    amount, seconds = max(ratio.numerator, 1), max(ratio.denominator, 1)
    return RateLimitItemPerSecond(amount, seconds, namespace="pulse-pace")


class Pacer:
    """Waits for a sender's turn. One instance per process; the state lives in Redis."""

    def __init__(
        self,
        connection: redis.Redis,
        segments_per_second: float,
        *,
        margin: float = DEFAULT_MARGIN,
        look_ahead: float = LOOK_AHEAD,
    ) -> None:
        self.redis = connection
        self.look_ahead = look_ahead
        self.item = rate_item(segments_per_second)
        self.margin = margin
        self.storage = RedisStorage(
            "redis://", connection_pool=connection.connection_pool, key_prefix="pulse-limits"
        )
        self.limiter = MovingWindowRateLimiter(self.storage)

    @property
    def window(self) -> float:
        return float(self.item.get_expiry())

    def _pause_key(self, sender: str) -> str:
        return f"pulse:pace:pause:{sender}"

    def pause(self, sender: str, seconds: float) -> None:
        """Hold every send from ``sender`` for ``seconds`` (a 429's Retry-After)."""
        milliseconds = max(1, math.ceil(seconds * 1000))
        current = self.redis.pttl(self._pause_key(sender))
        if isinstance(current, int) and current >= milliseconds:
            return
        self.redis.set(self._pause_key(sender), "1", px=milliseconds)

    def paused_for(self, sender: str) -> float:
        """Seconds left of a pause on ``sender`` (0.0 when it may send)."""
        left = self.redis.pttl(self._pause_key(sender))
        return left / 1000 if isinstance(left, int) and left > 0 else 0.0

    def room_in(self, sender: str, segments: int) -> float:
        """Seconds until ``sender`` has room for ``segments`` (0.0: now). Takes nothing."""
        paused = self.paused_for(sender)
        if paused:
            return paused
        oldest, used = self.storage.get_moving_window(
            self.item.key_for(sender),
            self.item.amount,
            self.window + self.margin,  # type: ignore[arg-type]  # the script takes floats
        )
        if used + segments <= self.item.amount:
            return 0.0
        return max(oldest + self.window + self.margin - time.time(), 0.001)

    def try_acquire(self, sender: str, segments: int) -> float:
        """Take ``segments`` (at most one window's worth) now if the sender has room.

        Returns 0.0 when taken, otherwise how many seconds to wait before asking again.
        """
        with self.redis.lock(
            f"pulse:pace:lock:{sender}", timeout=_LOCK_SECONDS, sleep=0.002, blocking_timeout=5
        ):
            wait = self.room_in(sender, segments)
            if wait == 0.0 and self.limiter.hit(self.item, sender, cost=segments):
                return 0.0
            return wait or 0.001

    def acquire(
        self,
        sender: str,
        segments: int,
        *,
        timeout: float,
        while_waiting: Callable[[], None] | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> Turn:
        """Block until ``segments`` may be sent from ``sender``, and take them.

        A message of more segments than one window allows is paid for window by window. Just
        before the last part is taken, ``ready`` (if given) is asked whether the send should
        still happen: work that takes time (reading the database) belongs there, between the
        wait and the take, not between the take and the send, where it would blur the pace
        the provider sees.
        """
        deadline = time.monotonic() + timeout
        owed = max(segments, 1)
        looked = False
        while owed:
            chunk = min(owed, self.item.amount)
            wait = self.room_in(sender, chunk)
            if looked and wait > self.look_ahead:
                looked = False  # another worker took the slot: look again before the next
            must_look = owed == chunk and ready is not None and not looked
            # The last look runs while the slot is about to open, not after it opened: its
            # database round trips would otherwise push this send, and through the moving
            # window every later one, back by as long as they take.
            if must_look and wait <= self.look_ahead:
                assert ready is not None
                if not ready():
                    return Turn.DECLINED
                looked = True
                continue  # the look took time: measure the room again
            if wait == 0.0:
                wait = self.try_acquire(sender, chunk)
                if wait == 0.0:
                    owed -= chunk
                    continue
            if time.monotonic() + wait > deadline:
                return Turn.TIMEOUT
            if while_waiting is not None:
                while_waiting()
            if must_look:
                wait = max(wait - self.look_ahead, 0.001)  # wake in time for the last look
            time.sleep(wait)
        metrics.PACING_DELAY.observe(time.monotonic() - (deadline - timeout))
        return Turn.TAKEN
