"""The per-state quiet hours, rule by rule, on a patched clock (core.clock.now).

The expected hours are written out here, from the issue's list and the statutes, not read
from the table: a row changed by mistake fails its test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.clock import now
from outreach import quiet_hours, schedule
from outreach.models import Survey
from tests.conftest import FrozenClock

# state: (a zone of the state, first open minute, first closed minute) on a weekday.
EXPECTED = {
    "AL": ("America/Chicago", time(8), time(20)),
    "CT": ("America/New_York", time(9), time(20)),
    "FL": ("America/New_York", time(8), time(20)),
    "KY": ("America/New_York", time(10), time(20)),
    "LA": ("America/Chicago", time(8), time(20)),
    "MA": ("America/New_York", time(8), time(20)),
    "MD": ("America/New_York", time(8), time(20)),
    "MI": ("America/Detroit", time(9), time(20)),
    "MN": ("America/Chicago", time(9), time(20)),
    "MS": ("America/Chicago", time(8), time(20)),
    "NM": ("America/Denver", time(9), time(20)),
    "NV": ("America/Los_Angeles", time(9), time(20)),
    "OK": ("America/Chicago", time(8), time(20)),
    "TX": ("America/Chicago", time(9), time(20)),
}
NO_SUNDAYS_OR_HOLIDAYS = {"AL", "LA", "MS"}
WEDNESDAY = date(2026, 3, 4)
SUNDAY = date(2026, 3, 8)


def _at(clock: FrozenClock, zone: str, day: date, hour: int, minute: int = 0) -> None:
    """Set the clock to ``day hour:minute`` in ``zone``."""
    clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone)))


def _minute_before(t: time) -> tuple[int, int]:
    moment = datetime.combine(WEDNESDAY, t) - timedelta(minutes=1)
    return moment.hour, moment.minute


def test_quiet_hours_table_names_a_source_for_every_row_and_when_it_was_reviewed() -> None:
    table = quiet_hours.table()
    assert table.reviewed == date(2026, 12, 7)
    assert set(table.rules) == set(EXPECTED)  # a new row needs its expected hours here
    assert all(rule.source for rule in table.rules.values())


@pytest.mark.parametrize("state", sorted(EXPECTED))
def test_quiet_hours_state_row_opens_and_closes_at_its_hours_on_a_weekday(
    clock: FrozenClock, state: str
) -> None:
    zone, opens, closes = EXPECTED[state]
    _at(clock, zone, WEDNESDAY, *_minute_before(opens))
    assert not quiet_hours.permits(now(), zone, state)
    _at(clock, zone, WEDNESDAY, opens.hour, opens.minute)
    assert quiet_hours.permits(now(), zone, state)
    _at(clock, zone, WEDNESDAY, *_minute_before(closes))
    assert quiet_hours.permits(now(), zone, state)
    _at(clock, zone, WEDNESDAY, closes.hour, closes.minute)
    assert not quiet_hours.permits(now(), zone, state)


@pytest.mark.parametrize("state", sorted(EXPECTED))
def test_quiet_hours_state_row_on_sunday_follows_its_sunday_rule(
    clock: FrozenClock, state: str
) -> None:
    zone, opens, _closes = EXPECTED[state]
    _at(clock, zone, SUNDAY, 13)
    assert quiet_hours.permits(now(), zone, state) is (state not in NO_SUNDAYS_OR_HOLIDAYS)
    _at(clock, zone, SUNDAY, 11, 59)
    expected_before_noon = state not in NO_SUNDAYS_OR_HOLIDAYS and state != "TX"
    assert quiet_hours.permits(now(), zone, state) is expected_before_noon
    _at(clock, zone, SUNDAY, opens.hour, opens.minute)
    assert quiet_hours.permits(now(), zone, state) is expected_before_noon


def test_quiet_hours_texas_sunday_opens_at_noon(clock: FrozenClock) -> None:
    _at(clock, "America/Chicago", SUNDAY, 11, 59)
    assert not quiet_hours.permits(now(), "America/Chicago", "TX")
    _at(clock, "America/Chicago", SUNDAY, 12, 0)
    assert quiet_hours.permits(now(), "America/Chicago", "TX")
    assert quiet_hours.next_open(
        datetime(2026, 3, 8, 10, 0, tzinfo=ZoneInfo("America/Chicago")), "America/Chicago", "TX"
    ) == datetime(2026, 3, 8, 12, 0, tzinfo=ZoneInfo("America/Chicago")).astimezone(UTC)


@pytest.mark.parametrize(
    ("state", "holiday", "name"),
    [
        ("AL", date(2026, 12, 25), "Christmas Day"),
        ("AL", date(2026, 4, 27), "Confederate Memorial Day"),  # Alabama's own: 4th Monday of April
        ("LA", date(2026, 2, 17), "Mardi Gras"),  # Louisiana's own
        ("MS", date(2026, 4, 27), "Confederate Memorial Day"),  # Mississippi's own: last Monday
        ("MS", date(2026, 11, 26), "Thanksgiving Day"),
    ],
)
def test_quiet_hours_no_holiday_state_is_closed_all_day_on_its_state_holiday(
    clock: FrozenClock, state: str, holiday: date, name: str
) -> None:
    zone = EXPECTED[state][0]
    assert holiday.weekday() != 6  # a weekday: only the holiday rule can close it
    for hour in (8, 12, 19):
        _at(clock, zone, holiday, hour)
        assert not quiet_hours.permits(now(), zone, state), (state, name, hour)
    _at(clock, zone, holiday + timedelta(days=1), 12)
    assert quiet_hours.permits(now(), zone, state) is (holiday.weekday() != 5)


def test_quiet_hours_state_holiday_of_another_state_closes_nothing(clock: FrozenClock) -> None:
    # Mardi Gras is a Louisiana holiday, not an Alabama-wide one in the library's calendar,
    # and Texas has no holiday rule at all.
    _at(clock, "America/Chicago", date(2026, 12, 25), 12)
    assert quiet_hours.permits(now(), "America/Chicago", "TX")
    assert quiet_hours.permits(now(), "America/Chicago", "OK")


def test_quiet_hours_unknown_or_missing_state_gets_the_08_to_20_bounds(clock: FrozenClock) -> None:
    for state in (None, "CA", "ZZ"):
        _at(clock, "America/Los_Angeles", SUNDAY, 7, 59)
        assert not quiet_hours.permits(now(), "America/Los_Angeles", state)
        _at(clock, "America/Los_Angeles", SUNDAY, 8, 0)
        assert quiet_hours.permits(now(), "America/Los_Angeles", state)
        _at(clock, "America/Los_Angeles", SUNDAY, 20, 0)
        assert not quiet_hours.permits(now(), "America/Los_Angeles", state)


def test_quiet_hours_strictest_of_several_rules_wins(clock: FrozenClock) -> None:
    zone = "America/Chicago"
    _at(clock, zone, WEDNESDAY, 9, 30)
    assert quiet_hours.permits(now(), zone, "FL")
    assert not quiet_hours.permits(now(), zone, "FL", "KY")  # KY starts at 10
    _at(clock, zone, SUNDAY, 13)
    assert quiet_hours.permits(now(), zone, "TX")
    assert not quiet_hours.permits(now(), zone, "TX", "AL")  # AL: no Sundays


def test_quiet_hours_never_wider_than_8_to_20_whatever_the_table_says() -> None:
    table = quiet_hours.parse_table(
        'reviewed = 2026-01-01\n[states.XX]\nstart = "06:00"\nend = "22:00"\nsource = "test"\n'
    )
    rule = table.rules["XX"]
    assert rule.opening(WEDNESDAY) == (time(8), time(20))
    assert (quiet_hours.HARD_START, quiet_hours.HARD_END) == (
        schedule.HARD_START,
        schedule.HARD_END,
    )


def test_quiet_hours_table_with_a_bad_row_names_the_state_and_field() -> None:
    with pytest.raises(ValueError, match="XX: a time is not HH:MM"):
        quiet_hours.parse_table('reviewed = 2026-01-01\n[states.XX]\nstart = "9am"\nsource = "s"\n')
    with pytest.raises(ValueError, match="XX: source is required"):
        quiet_hours.parse_table('reviewed = 2026-01-01\n[states.XX]\nstart = "09:00"\n')
    with pytest.raises(ValueError, match="XX: unknown field"):
        quiet_hours.parse_table(
            'reviewed = 2026-01-01\n[states.XX]\nopen = "09:00"\nsource = "s"\n'
        )


def test_quiet_hours_next_open_skips_a_closed_sunday_to_monday_morning() -> None:
    zone = ZoneInfo("America/Chicago")
    saturday_evening = datetime(2026, 3, 7, 20, 30, tzinfo=zone)
    assert quiet_hours.next_open(saturday_evening, "America/Chicago", "AL") == datetime(
        2026, 3, 9, 8, 0, tzinfo=zone
    ).astimezone(UTC)
    assert quiet_hours.next_open(saturday_evening, "America/Chicago", "TX") == datetime(
        2026, 3, 8, 12, 0, tzinfo=zone
    ).astimezone(UTC)
    kentucky_nine = datetime(2026, 3, 4, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert quiet_hours.next_open(kentucky_nine, "America/New_York", "KY") == kentucky_nine.replace(
        hour=10
    ).astimezone(UTC)


def test_send_window_of_a_survey_also_applies_the_state_rule(clock: FrozenClock) -> None:
    survey = Survey(window_start="09:00", window_end="18:00", weekdays_only=True)
    _at(clock, "America/New_York", WEDNESDAY, 9, 30)
    assert schedule.in_send_window(now(), "America/New_York", survey)
    assert schedule.in_send_window(now(), "America/New_York", survey, state="FL")
    assert not schedule.in_send_window(now(), "America/New_York", survey, state="KY")
