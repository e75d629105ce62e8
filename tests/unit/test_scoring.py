"""Ratings read from free text, and numbers that only look like ratings."""

from __future__ import annotations

import pytest

from surveys.scoring import extract_rating


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("3", 3),
        ("5!", 5),
        ("4.", 4),
        ("2/5", 2),
        ("5 out of 5", 5),
        ("three", 3),
        ("Four - all good", 4),
        ("FIVE!", 5),
        ("1 - nobody showed me where to go", 1),
        ("4 busy but fine", 4),
        ("I'd give it a 4", 4),
        ("i would give it a three.", 3),
        ("rating: 2", 2),
        ("solid 4 this week", 4),
        ("4 stars", 4),
        ("\u2b50\u2b50\u2b50", 3),
        ("good people, decent work. 4", 4),
        ("3 out of 5 but improving", 3),
        ("1 of 5", 1),
        ("all fine, rating 4 of 5", 4),
        ("busy week. I'd say 3 of 5", 3),
    ],
)
def test_extract_rating_reads_rating_forms(text: str, rating: int) -> None:
    assert extract_rating(text) == rating


@pytest.mark.parametrize(
    ("text", "rating"),
    [("6 out of 10", 3), ("10/10", 5), ("2/10", 1), ("9 out of 10", None), ("3/10", None)],
)
def test_extract_rating_scales_ten_point_answers_to_five(text: str, rating: int | None) -> None:
    # A score between two points of the 5-point scale is not stored: either would be a guess.
    assert extract_rating(text) == rating


def test_extract_rating_on_ten_point_survey_keeps_ten_point_answers() -> None:
    assert extract_rating("7", scale_max=10) == 7
    assert extract_rating("4/5", scale_max=10) == 8


@pytest.mark.parametrize(
    "text",
    [
        "call me at 555-201-8844",
        "my cell is 5552018844",
        "I get off at 5pm",
        "shift ends at 5 pm",
        "we finish at 4",
        "from 7 to 3 every day",
        "two weeks notice",
        "3 weeks without a laptop",
        "worked 12 hours yesterday",
        "2 people quit this week",
        "only 2 of 5 shifts were posted",
        "they rated 3 of 5 trucks unsafe",
        "they owe me $4",
        "raise of 5%",
        "scored 4.5 on the quiz",
        "8 out of 10 shifts got moved",
        "24/7 on call",
        "3/14 was payday",
        "One thing: the client is rude",
        "gate 4 is locked",
        "the lead said it's a 2 hour drive",
        "great team (2)",
        "6",
        "0",
        "12/10",
        "",
    ],
)
def test_extract_rating_ignores_numbers_that_are_not_ratings(text: str) -> None:
    assert extract_rating(text) is None


def test_extract_rating_prefers_explicit_scale_over_leading_number() -> None:
    assert extract_rating("2 weeks in and I'd say 4/5") == 4


def test_extract_rating_rejects_scale_below_two() -> None:
    with pytest.raises(ValueError, match="scale_max"):
        extract_rating("1", scale_max=1)


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("4 timecard is late", 4),  # a singular thing after 4 is news, not a count
        ("4\ntimecard is late", 4),  # two texts joined: the line break ends the rating
        ("3 badge stopped working", 3),
        ("4 timecards are late", None),  # a count of timecards
        ("1 timecard is missing", None),
        ("2\nhours late again", 2),
    ],
)
def test_extract_rating_tells_rating_before_news_from_a_count(
    text: str, rating: int | None
) -> None:
    assert extract_rating(text) == rating
