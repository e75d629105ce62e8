"""The arithmetic behind Care alerts, on any survey scale."""

from __future__ import annotations

import pytest

from surveys.care import baseline_drop
from surveys.scoring import is_low


@pytest.mark.parametrize(
    ("rating", "scale_max", "low"),
    [(1, 5, True), (2, 5, True), (3, 5, False), (4, 10, True), (5, 10, False), (None, 5, False)],
)
def test_is_low_is_two_of_five_scaled(rating: int | None, scale_max: int, low: bool) -> None:
    assert is_low(rating, scale_max) is low


def test_baseline_drop_of_two_points_below_the_mean_counts() -> None:
    # 5, 5, 5 then 3: exactly two points down on a 1-5 scale.
    assert baseline_drop(3 / 5, [1.0, 1.0, 1.0]) == pytest.approx(0.4)


def test_baseline_drop_of_less_than_two_points_does_not_count() -> None:
    # Mean 4.67, then 3: 1.67 points down.
    assert baseline_drop(3 / 5, [1.0, 1.0, 0.8]) is None


def test_baseline_drop_needs_three_earlier_ratings() -> None:
    assert baseline_drop(1 / 5, [1.0, 1.0]) is None


def test_baseline_drop_is_scaled_on_a_ten_point_survey() -> None:
    # 9, 9, 8 (mean 8.67 of 10) then 4: 4.67 of 10 is more than 2 of 5.
    assert baseline_drop(4 / 10, [0.9, 0.9, 0.8]) is not None
    # 9, 9, 8 then 6: 2.67 of 10 is less than 2 of 5.
    assert baseline_drop(6 / 10, [0.9, 0.9, 0.8]) is None
