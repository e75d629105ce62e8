from datetime import UTC, date, datetime

import pytest

from outreach.models import Survey
from outreach.schedule import due_dates, expiry, in_send_window, is_due, send_window


def _survey(**overrides: object) -> Survey:
    fields: dict[str, object] = {
        "onboarding_days": [3, 14, 30, 45],
        "pulse_every_days": 30,
        "window_start": "09:00",
        "window_end": "18:00",
        "weekdays_only": True,
    }
    fields.update(overrides)
    return Survey(**fields)


def test_due_dates_follow_onboarding_offsets_then_recurring_pulse_until_end() -> None:
    start, end = date(2026, 1, 1), date(2026, 5, 1)
    days = [(d - start).days for d in due_dates(_survey(), start, end, until=date(2026, 12, 31))]
    assert days == [3, 14, 30, 45, 75, 105]


def test_is_due_is_false_before_start_and_after_end() -> None:
    survey = _survey(onboarding_days=[0], pulse_every_days=1)
    start, end = date(2026, 1, 10), date(2026, 1, 20)
    assert not is_due(survey, start, end, date(2026, 1, 9))
    assert is_due(survey, start, end, date(2026, 1, 10))
    assert is_due(survey, start, end, date(2026, 1, 20))
    assert not is_due(survey, start, end, date(2026, 1, 21))


def test_send_window_is_clamped_to_hard_bounds_whatever_the_survey_says() -> None:
    survey = _survey(window_start="06:00", window_end="23:30")
    start, end = send_window(survey)
    assert (start.hour, end.hour) == (8, 20)


@pytest.mark.parametrize(
    ("utc", "zone", "expected"),
    [
        # 17:59 and 18:00 UTC on a Monday are 07:59 and 08:00 in Honolulu (UTC-10, no DST).
        (datetime(2026, 3, 2, 17, 59, tzinfo=UTC), "Pacific/Honolulu", False),
        (datetime(2026, 3, 2, 18, 0, tzinfo=UTC), "Pacific/Honolulu", True),
        # 19:59 local in New York is inside; 20:00 is not.
        (datetime(2026, 3, 3, 0, 59, tzinfo=UTC), "America/New_York", True),
        (datetime(2026, 3, 3, 1, 0, tzinfo=UTC), "America/New_York", False),
        # Saturday in Tokyo while it is still Friday in UTC.
        (datetime(2026, 3, 6, 23, 0, tzinfo=UTC), "Asia/Tokyo", False),
        # The US moves to daylight time on 2026-03-08: 12:30 UTC is 07:30 EST on Friday
        # 6 March but 08:30 EDT on Monday 9 March.
        (datetime(2026, 3, 6, 12, 30, tzinfo=UTC), "America/New_York", False),
        (datetime(2026, 3, 9, 12, 30, tzinfo=UTC), "America/New_York", True),
    ],
)
def test_in_send_window_uses_contractor_local_time(
    utc: datetime, zone: str, expected: bool
) -> None:
    survey = _survey(window_start="08:00", window_end="20:00")
    assert in_send_window(utc, zone, survey) is expected


def test_in_send_window_skips_weekends_only_when_survey_says_so() -> None:
    saturday_noon_utc = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    assert not in_send_window(saturday_noon_utc, "Europe/London", _survey())
    assert in_send_window(saturday_noon_utc, "Europe/London", _survey(weekdays_only=False))


def test_expiry_is_local_midnight_after_the_stale_days() -> None:
    assert expiry(date(2026, 3, 2), "America/Los_Angeles", 2) == datetime(
        2026, 3, 4, 8, 0, tzinfo=UTC
    )
