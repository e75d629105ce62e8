"""Business hours: working time counted in the team's zone, skipping weekends and holidays."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from staff import business_hours
from staff.business_hours import Calendar

CHICAGO = ZoneInfo("America/Chicago")
US = Calendar()  # Mon-Fri 08:00-18:00 America/Chicago, US holidays


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)  # type: ignore[misc]


def test_business_hours_add_within_one_day_stays_that_day() -> None:
    assert business_hours.add(US, local(2026, 3, 2, 9, 0), 60) == local(2026, 3, 2, 10, 0)


def test_business_hours_add_past_closing_carries_to_next_morning() -> None:
    assert business_hours.add(US, local(2026, 3, 2, 17, 30), 60) == local(2026, 3, 3, 8, 30)


def test_business_hours_add_on_friday_evening_lands_on_monday() -> None:
    assert business_hours.add(US, local(2026, 3, 6, 17, 0), 120) == local(2026, 3, 9, 9, 0)


def test_business_hours_add_skips_a_public_holiday() -> None:
    # 2026-05-25 is Memorial Day in the US: Friday's last hour, then Tuesday.
    assert business_hours.add(US, local(2026, 5, 22, 17, 0), 120) == local(2026, 5, 26, 9, 0)


def test_business_hours_add_started_at_night_counts_from_opening() -> None:
    assert business_hours.add(US, local(2026, 3, 3, 2, 0), 30) == local(2026, 3, 3, 8, 30)


def test_business_hours_between_counts_only_working_time() -> None:
    spent = business_hours.between(US, local(2026, 3, 6, 17, 0), local(2026, 3, 9, 9, 0))
    assert spent == timedelta(hours=2)
    assert business_hours.between(US, local(2026, 3, 9, 9, 0), local(2026, 3, 6, 17, 0)) == -spent


def test_business_hours_other_country_and_zone_use_their_own_holidays() -> None:
    # 2026-12-26 (Saturday) is not it; Boxing Day 2026 is observed Monday 28 Dec in England.
    london = Calendar(timezone="Europe/London", holiday_country="GB", holiday_subdivision="ENG")
    start = datetime(2026, 12, 24, 17, 0, tzinfo=ZoneInfo("Europe/London"))
    due = business_hours.add(london, start, 120)
    assert due.astimezone(ZoneInfo("Europe/London")).date().isoformat() == "2026-12-29"
    assert due.astimezone(UTC).time() == time(9, 0)


def test_business_hours_calendar_closing_before_opening_is_refused() -> None:
    with pytest.raises(ValueError, match="closes"):
        Calendar(opens=time(18, 0), closes=time(8, 0))


@pytest.mark.parametrize("minutes", [30, 600, 601, 1800, 4321])
def test_business_hours_back_undoes_add(minutes: int) -> None:
    end = local(2026, 5, 26, 9, 0)  # the Tuesday after Memorial Day
    start = business_hours.back(US, end, minutes)
    assert business_hours.between(US, start, end) == timedelta(minutes=minutes)
    assert business_hours.add(US, start, minutes) == end
