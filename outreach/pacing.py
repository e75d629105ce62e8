"""Per-sender pacing in SMS segments per second, shared by every worker through Redis.

Carriers and Twilio count a sender's throughput in segments per second (a US long code: 1),
over any one-second span. Every worker that sends from the same number asks the same
Redis sorted set, a moving window of the segments sent in the last second, before each send,
so adding workers adds no throughput beyond the sender's limit.

These details make the limit hold where it is measured, at the provider, and still reach it:

- Looking and taking are one Lua script, one round trip, timed by the Redis server's own
  clock: two workers cannot both slip into the same gap, and hosts with skewed clocks agree.
- A send's entry is stamped when its turn is taken and stamped again when the provider has
  answered (:meth:`Pacer.sent`), which is after the provider saw it. The next send that entry
  holds back therefore reaches the provider at least a window after it did, however long the
  request took on the way: the limit holds with no safety margin, where a fixed margin (50 ms
  last session) cost 5% of the rate and still missed a request delayed by more than it.
- A message longer than the per-second allowance is paid for in instalments: a three-segment
  text at one segment per second waits until three seconds' worth of capacity is its own.
- What takes time before a send (reading consent from the database) happens just before the
  slot opens, not between taking it and sending, so the send follows the take at once.
- Takes are kept SPREAD (0.8) of their even spacing apart, so a sender's first window goes
  out spread over most of a second rather than in one burst. A moving window repeats its
  first second for ever after: sends taken in a burst keep coming due in bursts, a worker is
  busy through each one, and every moment it is late is lost for good (the next send counts
  from the late one). Spread out, a worker has slack before each turn, and a late send holds
  back only the send a window after it. (``benchmarks/pacing_sim.py`` simulates two workers
  at 20/s with the overheads measured here and an occasional stall: 97.9% of the limit
  without the spread, 98.9% with it.) The spacing is a floor, not the pace: the window alone
  sets that, so the limit is still reached.

``limits`` (a well-kept rate-limit library) still states the rate as "N per M seconds"; its
moving window could neither take atomically without a lock around two calls nor move an
entry to the time the provider answered.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from enum import StrEnum
from fractions import Fraction

import redis
from limits import RateLimitItem, RateLimitItemPerSecond

from core import metrics

# Redis TIME and our sleeps are both exact to the microsecond; a hair of margin absorbs the
# provider's clock reading a request's arrival a little after its own answer began.
DEFAULT_MARGIN = 0.002  # seconds
# Takes of one sender stay at least this share of their even spacing (window / limit, per
# segment) apart; see the module docstring.
SPREAD = 0.8
# How long before its slot a send takes its last look (see Pacer.acquire), at least; a look
# that takes longer (a busy database) is started as much earlier as looks have been taking,
# up to MAX_LOOK_AHEAD, so that it still ends before the slot opens.
LOOK_AHEAD = 0.05  # seconds
MAX_LOOK_AHEAD = 0.25  # seconds

# KEYS: the window (sorted set: member "<id>:<segments>", score: microseconds), the pause key,
# the latest take ("<microseconds>:<segments>").
# ARGV: limit in segments, window in microseconds, segments, member, "1" to take, the least
# time between takes in microseconds per segment of the earlier one (0: none).
# Returns 0 when there is room (and, taking, took it), else microseconds to wait.
_LOOK_OR_TAKE = """
local pause = redis.call('pttl', KEYS[2])
if pause > 0 then return pause * 1000 end
local t = redis.call('time')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - window)
local entries = redis.call('zrange', KEYS[1], 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #entries, 2 do
  used = used + tonumber(string.match(entries[i], ':(%d+)$'))
end
if used + cost <= limit then
  local spacing = tonumber(ARGV[6])
  local last = redis.call('get', KEYS[3])
  if spacing > 0 and last then
    local at, segments = string.match(last, '^(%d+):(%d+)$')
    local gap = tonumber(at) + spacing * tonumber(segments) - now
    if gap > 0 then return math.ceil(gap) end
  end
  if ARGV[5] == '1' then
    local keep = math.ceil(window / 1000) * 2 + 1000
    redis.call('zadd', KEYS[1], now, ARGV[4])
    redis.call('pexpire', KEYS[1], keep)
    redis.call('set', KEYS[3], string.format('%d:%d', now, cost), 'PX', keep)
  end
  return 0
end
local freed = 0
for i = 1, #entries, 2 do
  freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
  if used - freed + cost <= limit then
    return math.max(tonumber(entries[i + 1]) + window - now, 1)
  end
end
return window
"""

# Moves a taken entry to now: the provider has answered, so it has seen the message.
_SENT = """
if redis.call('zscore', KEYS[1], ARGV[1]) then
  local t = redis.call('time')
  redis.call('zadd', KEYS[1], 'XX', tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
  return 1
end
return 0
"""


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
        spread: float = SPREAD,
    ) -> None:
        self.redis = connection
        self.spread = spread
        self.look_ahead = look_ahead
        self._look_takes = 0.0  # how long recent last looks took (a moving average)
        self.item = rate_item(segments_per_second)
        self.margin = margin
        self._look_or_take = connection.register_script(_LOOK_OR_TAKE)
        self._sent = connection.register_script(_SENT)
        # The entry of this process's latest turn per sender, moved to "now" once sent.
        self._taken: dict[str, str] = {}

    @property
    def window(self) -> float:
        return float(self.item.get_expiry())

    def _last_key(self, sender: str) -> str:
        return f"pulse:pace:last:{sender}"

    def _window_key(self, sender: str) -> str:
        return f"pulse:pace:window:{sender}"

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

    def _ask(self, sender: str, segments: int, *, take: bool) -> tuple[float, str]:
        member = f"{uuid.uuid4().hex}:{segments}"
        wait = self._look_or_take(
            keys=[self._window_key(sender), self._pause_key(sender), self._last_key(sender)],
            args=[
                self.item.amount,
                round((self.window + self.margin) * 1_000_000),
                segments,
                member,
                "1" if take else "0",
                round(self.spread * self.window / self.item.amount * 1_000_000),
            ],
        )
        return int(wait) / 1_000_000, member

    def room_in(self, sender: str, segments: int) -> float:
        """Seconds until ``sender`` has room for ``segments`` (0.0: now). Takes nothing."""
        return self._ask(sender, segments, take=False)[0]

    def try_acquire(self, sender: str, segments: int) -> float:
        """Take ``segments`` (at most one window's worth) now if the sender has room.

        Returns 0.0 when taken, otherwise how many seconds to wait before asking again.
        """
        wait, member = self._ask(sender, segments, take=True)
        if wait == 0.0:
            self._taken[sender] = member
        return wait

    def sent(self, sender: str) -> None:
        """The provider answered this process's latest send from ``sender`` (or refused it):
        count that send from now, when the provider has certainly seen it."""
        member = self._taken.pop(sender, None)
        if member is not None:
            self._sent(keys=[self._window_key(sender)], args=[member])

    def _ahead(self) -> float:
        """How long before its slot a send starts its last look."""
        return min(
            max(self.look_ahead, 1.5 * self._look_takes), max(self.look_ahead, MAX_LOOK_AHEAD)
        )

    def _look(self, ready: Callable[[], bool]) -> bool:
        started = time.monotonic()
        try:
            return ready()
        finally:
            took = time.monotonic() - started
            self._look_takes = took if not self._look_takes else (self._look_takes + took) / 2

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
            must_look = owed == chunk and ready is not None and not looked
            if must_look:
                wait = self.room_in(sender, chunk)
                # The last look runs while the slot is about to open, not after it opened:
                # its database round trips would otherwise push this send, and through the
                # moving window every later one, back by as long as they take.
                if wait <= self._ahead():
                    assert ready is not None
                    if not self._look(ready):
                        return Turn.DECLINED
                    looked = True
                    continue  # the look took time: ask again, and take if there is room
                wait -= self._ahead()  # wake in time for the last look
            else:
                wait = self.try_acquire(sender, chunk)
                if wait == 0.0:
                    owed -= chunk
                    continue
                if looked and wait > self._ahead():
                    # Another worker took the slot: look again before the next one, and wake
                    # in time to, or this send starts its look only once that slot is open.
                    looked = False
                    wait -= self._ahead()
            # Sleep to a moment fixed before the heartbeat: its Redis round trip must not
            # make every wait longer by as long as it took.
            wake = time.monotonic() + wait
            if wake > deadline:
                return Turn.TIMEOUT
            if while_waiting is not None:
                while_waiting()
            time.sleep(max(wake - time.monotonic(), 0.0))
        metrics.PACING_DELAY.observe(time.monotonic() - (deadline - timeout))
        return Turn.TAKEN
