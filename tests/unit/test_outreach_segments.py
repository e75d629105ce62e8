from datetime import date

import pytest

from outreach.campaigns import Segment
from outreach.pacing import rate_item

START = date(2026, 1, 1)
ON = date(2026, 3, 2)  # day 60 of the assignment


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (Segment(), True),
        (Segment(client="acme corp"), True),
        (Segment(client="Globex"), False),
        (Segment(account_manager="Dana Manager"), True),
        (Segment(account_manager="Sam"), False),
        (Segment(tenure_min_days=30, tenure_max_days=90), True),
        (Segment(tenure_min_days=61), False),
        (Segment(tenure_max_days=59), False),
    ],
)
def test_segment_matches_client_manager_and_tenure_band(segment: Segment, expected: bool) -> None:
    assert segment.matches("Acme Corp", "Dana Manager", START, None, ON) is expected


def test_segment_never_matches_outside_the_assignment() -> None:
    assert not Segment().matches("Acme", "Dana", START, date(2026, 3, 1), ON)
    assert not Segment().matches("Acme", "Dana", date(2026, 3, 3), None, ON)


@pytest.mark.parametrize(
    ("rate", "amount", "seconds"), [(1, 1, 1), (5, 5, 1), (0.5, 1, 2), (1.5, 3, 2), (30, 30, 1)]
)
def test_rate_item_is_n_per_the_shortest_whole_window(
    rate: float, amount: int, seconds: int
) -> None:
    item = rate_item(rate)
    assert (item.amount, item.get_expiry()) == (amount, seconds)
