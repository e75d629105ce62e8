"""Per-state quiet hours, kept as data (outreach/data/quiet_hours.toml) with their sources.

Every rule only narrows: the federal bounds and ours (08:00-20:00 local, any day) always hold,
a state row can start later, end earlier, close Sundays (or open them late) and close the
state's public holidays. Where several rows apply the strictest wins: each one must allow the
minute. A contractor with no known state gets the 08:00-20:00 bounds alone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib.resources import files
from zoneinfo import ZoneInfo

import holidays

# The same bounds as outreach.schedule's: no state row and no setting widens them.
HARD_START = time(8, 0)
HARD_END = time(20, 0)
SUNDAY = 6
# Far enough to cross a Sunday and a holiday weekend; a state never closes longer.
_LOOKAHEAD_DAYS = 10


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class StateRule:
    state: str
    start: time = HARD_START
    end: time = HARD_END
    sunday_start: time | None = None
    no_sundays: bool = False
    no_state_holidays: bool = False
    source: str = ""
    url: str = ""

    def opening(self, day: date) -> tuple[time, time] | None:
        """The hours this rule allows on ``day`` (local), or None when it is closed all day."""
        if day.weekday() == SUNDAY and self.no_sundays:
            return None
        if self.no_state_holidays and day in _state_holidays(self.state, day.year):
            return None
        start = max(self.start, HARD_START)
        if day.weekday() == SUNDAY and self.sunday_start is not None:
            start = max(start, self.sunday_start)
        return start, min(self.end, HARD_END)


@dataclass(frozen=True)
class QuietHours:
    reviewed: date
    rules: Mapping[str, StateRule]


@lru_cache(maxsize=128)
def _state_holidays(state: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("US", subdiv=state, years=year)


def parse_table(text: str) -> QuietHours:
    """Read the table; a malformed row raises ValueError naming the state and field."""
    data = tomllib.loads(text)
    rules: dict[str, StateRule] = {}
    known = {"start", "end", "sunday_start", "no_sundays", "no_state_holidays", "source", "url"}
    for state, row in data.get("states", {}).items():
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"quiet hours {state}: unknown field(s) {', '.join(sorted(unknown))}")
        if not row.get("source"):
            raise ValueError(f"quiet hours {state}: source is required")
        try:
            times = {k: _hhmm(row[k]) for k in ("start", "end", "sunday_start") if k in row}
        except (ValueError, AttributeError) as exc:
            raise ValueError(f"quiet hours {state}: a time is not HH:MM ({exc})") from None
        rules[state.upper()] = StateRule(
            state=state.upper(),
            **times,
            no_sundays=bool(row.get("no_sundays", False)),
            no_state_holidays=bool(row.get("no_state_holidays", False)),
            source=row["source"],
            url=row.get("url", ""),
        )
    reviewed = data.get("reviewed")
    if not isinstance(reviewed, date):
        raise ValueError("quiet hours: reviewed must be a date (YYYY-MM-DD)")
    return QuietHours(reviewed=reviewed, rules=rules)


@lru_cache(maxsize=1)
def table() -> QuietHours:
    return parse_table(files("outreach").joinpath("data/quiet_hours.toml").read_text("utf-8"))


def _rules(states: Iterable[str | None]) -> list[StateRule]:
    rules = table().rules
    return [rules[s.upper()] for s in states if s and s.upper() in rules]


def opening(day: date, states: Iterable[str | None]) -> tuple[time, time] | None:
    """The local hours open on ``day`` under every rule that applies (strictest wins)."""
    start, end = HARD_START, HARD_END
    for rule in _rules(states):
        hours = rule.opening(day)
        if hours is None:
            return None
        start, end = max(start, hours[0]), min(end, hours[1])
    return (start, end) if start < end else None


def permits(at: datetime, timezone: str, *states: str | None) -> bool:
    """Whether a text may reach a contractor in ``states`` (their zone ``timezone``) at ``at``."""
    local = at.astimezone(ZoneInfo(timezone))
    hours = opening(local.date(), states)
    return hours is not None and hours[0] <= local.time() < hours[1]


def next_open(at: datetime, timezone: str, *states: str | None) -> datetime | None:
    """The first moment from ``at`` on when :func:`permits` holds (UTC), or None if none
    within the lookahead (a table that closes every day)."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    for offset in range(_LOOKAHEAD_DAYS):
        day = local.date() + timedelta(days=offset)
        hours = opening(day, states)
        if hours is None:
            continue
        opens = datetime.combine(day, hours[0], zone)
        closes = datetime.combine(day, hours[1], zone)
        candidate = max(opens, local)
        if candidate < closes:
            return candidate.astimezone(UTC)
    return None
