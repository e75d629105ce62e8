"""Staff rules with no database: survey checks, filters, CSV safety, charts, throttle waits,
who may work what, and when a message to a contractor may go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from outreach.models import Contractor
from staff import charts, export, throttle
from staff.contractors import next_window_opens
from staff.dashboard import MIN_RESPONDENTS, Figure, _figure
from staff.errors import WorkError
from staff.inbox import ReplyFilters, parse_filters
from staff.survey_admin import SurveyError, check_sms_template, check_survey, parse_days
from staff.tickets import can_work
from staff.views import age
from surveys.models import Ticket
from tests.conftest import FrozenClock

GOOD_SURVEY = {
    "name": "Pulse",
    "question": "How is it going?",
    "scale_max": "5",
    "sms_template": "Hi {first_name}, how is {client}? Reply 1-{scale_max}. Reply STOP to opt out.",
    "email_subject": "How is {client}?",
    "email_template": "Hi {name},\r\nhow is it going?",
    "onboarding_days": "14, 3,3 30",
    "pulse_every_days": "",
    "window_start": "09:00",
    "window_end": "18:00",
    "weekdays_only": True,
    "active": False,
}


def _survey(**changes: Any) -> dict[str, Any]:
    return {**GOOD_SURVEY, **changes}


def test_check_survey_reads_the_form_into_typed_values() -> None:
    changes = check_survey(GOOD_SURVEY)

    assert changes.onboarding_days == [3, 14, 30]
    assert changes.pulse_every_days is None
    assert changes.scale_max == 5
    assert changes.email_template == "Hi {name},\nhow is it going?"
    assert (changes.weekdays_only, changes.active) == (True, False)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"sms_template": "Hi {firstname}. Reply STOP"}, "sms_template", "{firstname} is not"),
        ({"sms_template": "Hi {first_name!r}. STOP"}, "sms_template", "nothing after the name"),
        ({"sms_template": "Hi {first_name. STOP"}, "sms_template", "write {{ or }}"),
        ({"sms_template": "Hi {first_name}, how\u2019s it? STOP"}, "sms_template", "GSM-7"),
        ({"sms_template": "Hi {first_name}. " + "x" * 460 + " STOP"}, "sms_template", "segments"),
        ({"sms_template": "Hi {first_name}, how is it?"}, "sms_template", "opt out"),
        ({"email_subject": "About {clients}"}, "email_subject", "{clients} is not"),
        ({"email_template": "  "}, "email_template", "must not be empty"),
        ({"onboarding_days": "3, two"}, "onboarding_days", "'two' is not a whole number"),
        ({"onboarding_days": "", "pulse_every_days": ""}, "onboarding_days", "never goes out"),
        ({"pulse_every_days": "0"}, "pulse_every_days", "from 1 to 365"),
        ({"scale_max": "11"}, "scale_max", "from 2 to 10"),
        ({"window_start": "7:30"}, "window_start", "HH:MM"),
        ({"window_start": "07:30"}, "window_start", "outside 08:00-20:00"),
        ({"window_end": "20:30"}, "window_end", "outside 08:00-20:00"),
        ({"window_start": "18:00", "window_end": "09:00"}, "window_start", "not before"),
    ],
)
def test_check_survey_refuses_bad_values_naming_the_field(
    changes: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(SurveyError, match=None) as caught:
        check_survey(_survey(**changes))

    assert caught.value.field == field
    assert words in str(caught.value)


def test_sms_template_of_three_segments_with_a_long_name_and_reminder_passes() -> None:
    text = "Hi {first_name}, " + "a" * 380 + " Reply STOP to opt out."
    assert check_sms_template(text) == text


def test_parse_days_sorts_and_drops_repeats() -> None:
    assert parse_days(" 45,3  14,3 ") == [3, 14, 45]
    assert parse_days("") == []


def test_parse_filters_reads_choices_and_dates() -> None:
    filters = parse_filters(
        {"team": "care", "severity": "urgent", "date_from": "2026-03-01", "q": "  pay  "}
    )

    assert filters == ReplyFilters(
        team="care", severity="urgent", date_from=date(2026, 3, 1), q="pay"
    )
    assert filters.as_args() == {
        "team": "care",
        "severity": "urgent",
        "date_from": "2026-03-01",
        "q": "pay",
    }
    assert not ReplyFilters().active


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"team": "sales"}, "team"),
        ({"category": "weather"}, "category"),
        ({"severity": "meh"}, "severity"),
        ({"date_to": "2026-02-30"}, "date_to"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_from"),
    ],
)
def test_parse_filters_refuses_what_is_not_a_choice_naming_it(
    args: dict[str, str], field: str
) -> None:
    with pytest.raises(WorkError) as caught:
        parse_filters(args)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+44 7700", "'+44 7700"),
        ("-2 bad", "'-2 bad"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("fine = good", "fine = good"),
        (-0.25, -0.25),
        (3, 3),
    ],
)
def test_safe_cell_defuses_formulas_and_leaves_numbers(value: Any, safe: Any) -> None:
    assert export.safe_cell(value) == safe


def test_export_range_must_have_both_ends_and_at_most_a_year() -> None:
    with pytest.raises(WorkError, match="date_to"):
        export.check_range(ReplyFilters(date_from=date(2026, 1, 1)))
    with pytest.raises(WorkError, match="a year"):
        export.check_range(ReplyFilters(date_from=date(2024, 1, 1), date_to=date(2026, 1, 1)))


def test_throttle_waits_double_after_the_free_failures_up_to_the_window() -> None:
    waits = [throttle.wait_after(n, free=5) for n in range(4, 12)]

    assert waits[:2] == [timedelta(0), timedelta(seconds=30)]
    assert waits[2:4] == [timedelta(seconds=60), timedelta(seconds=120)]
    assert waits[-1] == throttle.WINDOW


def test_dashboard_figure_is_withheld_below_five_respondents() -> None:
    assert _figure(4 * 4, 4, MIN_RESPONDENTS - 1) == Figure(None, MIN_RESPONDENTS - 1)
    assert Figure(None, MIN_RESPONDENTS - 1).hidden
    assert _figure(20, 5, MIN_RESPONDENTS).value == 4.0
    assert not Figure(None, 0).hidden and Figure(None, 0).empty


@dataclass
class _Reply:
    created_at: datetime
    rating: int | None
    scale_max: int
    polarity: float
    negative: bool = False
    probabilities: dict[str, float] | None = None


def test_trend_chart_puts_ratings_on_a_five_point_scale_and_skips_missing_ones() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    replies = [
        _Reply(start, 10, 10, 0.5),
        _Reply(start + timedelta(days=7), None, 5, -1.0),
        _Reply(start + timedelta(days=14), 1, 5, 0.0),
    ]

    chart = charts.trend_chart(replies, "Trend")

    assert chart is not None
    rating, sentiment = chart.series
    assert [p.label for p in rating.points] == ["Mar 1: rated 10 of 10", "Mar 15: rated 1 of 5"]
    top, bottom = chart.panels[0].top, chart.panels[0].bottom
    assert rating.points[0].y == top  # 10 of 10 is the top of the scale
    assert rating.points[1].y == pytest.approx(bottom - (bottom - top) / 5)
    assert len(sentiment.points) == 3
    assert sentiment.points[1].y == chart.panels[1].bottom  # -1
    assert rating.points[0].x < sentiment.points[1].x < rating.points[1].x
    assert "3 replies from Mar 1 to Mar 15" in chart.description


def test_trend_chart_plots_a_harassment_report_below_zero_whatever_its_polarity() -> None:
    # TextBlob reads "he keeps commenting on my body, so funny" at +0.25.
    report = _Reply(datetime(2026, 3, 1, tzinfo=UTC), None, 5, 0.25, True, {"negative": 0.9})
    chart = charts.trend_chart([report], "Trend")
    assert chart is not None
    words = chart.series[1].points[0]
    panel = chart.panels[1]
    assert words.y > (panel.top + panel.bottom) / 2  # below the zero line (y grows downwards)
    assert "words read -0.80" in words.label
    assert charts.trend_chart([], "Nothing") is None


def test_weekly_chart_breaks_the_line_where_a_week_is_hidden() -> None:
    weeks = [date(2026, 2, 2) + timedelta(weeks=n) for n in range(4)]

    chart = charts.weekly_chart("Rating", weeks, [("Globex", [4.0, 3.0, None, 5.0])])

    [series] = chart.series
    assert len(series.points) == 3
    assert series.path.count("M") == 2 and series.path.count("L") == 1
    assert [t.label for t in chart.x_ticks] == ["Feb 2", "Feb 9", "Feb 16", "Feb 23"]


def test_only_the_team_holding_a_ticket_works_it() -> None:
    handed = Ticket(team="care")

    assert can_work("care", handed) and can_work("admin", handed)
    assert not can_work("support", handed)


def test_age_reads_in_minutes_hours_then_days(clock: FrozenClock) -> None:
    now = clock.current

    assert age(now - timedelta(minutes=5)) == "5 min"
    assert age(now - timedelta(hours=30)) == "30 h"
    assert age(now - timedelta(days=3, hours=5)) == "3 d"
    assert age(None) == "—"


def test_a_message_at_night_waits_for_8am_in_the_contractors_zone(clock: FrozenClock) -> None:
    tokyo = Contractor(timezone="Asia/Tokyo")  # 15:00 UTC is midnight there
    new_york = Contractor(timezone="America/New_York")  # and 10:00 here

    opens = next_window_opens(tokyo)

    assert opens is not None and (opens.hour, opens.day) == (8, 3)
    assert next_window_opens(new_york) is None


@pytest.mark.parametrize(
    ("remote", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unknown", "unknown"),
    ],
)
def test_throttle_counts_an_ipv6_subscriber_by_their_64(remote: str, counted_as: str) -> None:
    assert throttle.address_key(remote) == counted_as


def test_throttle_device_cookie_is_known_only_for_its_own_account_and_key() -> None:
    cookie = throttle.device_cookie("k" * 40, user_id=7)

    device = throttle.known_device("k" * 40, cookie, 7)
    assert device is not None and len(device) == 32
    assert throttle.known_device("k" * 40, cookie, 8) is None
    assert throttle.known_device("other key" * 5, cookie, 7) is None
    assert throttle.known_device("k" * 40, cookie + "x", 7) is None
    assert throttle.known_device("k" * 40, None, 7) is None
