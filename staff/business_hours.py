"""Counting time the way a team keeps its promises: only its working hours, in its own time
zone, skipping its public holidays (the ``holidays`` package keeps those calendars)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True)
class Calendar:
    timezone: str = "America/Chicago"
    opens: time = time(8, 0)
    closes: time = time(18, 0)
    weekdays: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))
    holiday_country: str = "US"
    holiday_subdivision: str | None = None

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError(f"closes {self.closes} must be after opens {self.opens}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_holiday(self, day: date) -> bool:
        return day in _holidays(self.holiday_country, self.holiday_subdivision, day.year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and not self.is_holiday(day)

    def _window(self, day: date) -> tuple[datetime, datetime]:
        zone = self.zone
        start = datetime.combine(day, self.opens, zone).astimezone(UTC)
        end = datetime.combine(day, self.closes, zone).astimezone(UTC)
        return start, end


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


# A team with no working day in a year has no calendar worth counting in.
_MAX_DAYS = 400


def add(calendar: Calendar, start: datetime, minutes: float) -> datetime:
    """The moment ``minutes`` of working time after ``start`` (an aware datetime).

    Started outside hours, the count begins when the team next opens.
    """
    left = timedelta(minutes=minutes)
    day = start.astimezone(calendar.zone).date()
    for _ in range(_MAX_DAYS):
        if calendar.is_working_day(day):
            opens, closes = calendar._window(day)
            begin = max(opens, start)
            if begin < closes:
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
        day += timedelta(days=1)
    raise ValueError(f"no working hours within {_MAX_DAYS} days of {start.isoformat()}")


def between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Working time from ``start`` to ``end`` (negative when ``end`` comes first)."""
    if end < start:
        return -between(calendar, end, start)
    total = timedelta(0)
    day = start.astimezone(calendar.zone).date()
    last = end.astimezone(calendar.zone).date()
    while day <= last:
        if calendar.is_working_day(day):
            opens, closes = calendar._window(day)
            begin, finish = max(opens, start), min(closes, end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def back(calendar: Calendar, end: datetime, minutes: float) -> datetime:
    """The moment ``minutes`` of working time before ``end``: :func:`add` run backwards."""
    left = timedelta(minutes=minutes)
    day = end.astimezone(calendar.zone).date()
    for _ in range(_MAX_DAYS):
        if calendar.is_working_day(day):
            opens, closes = calendar._window(day)
            finish = min(closes, end)
            if finish > opens:
                if finish - left >= opens:
                    return finish - left
                left -= finish - opens
        day -= timedelta(days=1)
    raise ValueError(f"no working hours within {_MAX_DAYS} days before {end.isoformat()}")
