"""Staff rules that need no database: where a sign-in may return to, who opens what,
what makes a valid account, how pages are counted."""

from __future__ import annotations

import pytest

from staff.accounts import AccountError, check_email, check_password, check_role
from staff.auth import role_allows, role_required, safe_next
from staff.inbox import can_view_alert, can_view_ticket, category_label
from staff.paging import Page
from surveys.models import Ticket


@pytest.mark.parametrize("target", ["/staff/replies", "/staff/tickets/3?x=1"])
def test_safe_next_keeps_paths_on_this_site(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "staff/replies",
    ],
)
def test_safe_next_drops_anything_that_could_leave_the_site(target: str | None) -> None:
    assert safe_next(target) is None


def test_role_allows_admin_everywhere_and_others_only_where_listed() -> None:
    assert role_allows("admin", ("support",))
    assert role_allows("support", ("support", "care"))
    assert not role_allows("care", ("support",))


def test_role_required_refuses_an_unknown_role_when_decorating() -> None:
    with pytest.raises(ValueError, match="'suport'"):
        role_required("suport")


def test_can_view_ticket_lets_care_see_only_tickets_handed_to_care() -> None:
    with_support, with_care = Ticket(team="support"), Ticket(team="care")

    assert can_view_ticket("support", with_support) and can_view_ticket("support", with_care)
    assert can_view_ticket("admin", with_support)
    assert can_view_ticket("care", with_care)
    assert not can_view_ticket("care", with_support)


def test_can_view_alert_is_for_care_and_admin() -> None:
    assert can_view_alert("care") and can_view_alert("admin")
    assert not can_view_alert("support")


def test_check_email_normalises_case_and_spaces() -> None:
    assert check_email("  Kim@Example.COM ") == "kim@example.com"


@pytest.mark.parametrize("email", ["", "kim", "kim@", "@example.com", "kim@example", "k m@x.io"])
def test_check_email_refuses_what_is_not_an_address(email: str) -> None:
    with pytest.raises(AccountError, match="email"):
        check_email(email)


def test_check_role_names_the_choices() -> None:
    assert check_role(" Care ") == "care"
    with pytest.raises(AccountError, match="role 'boss' is not one of support, care, admin"):
        check_role("boss")


def test_check_password_refuses_short_ones() -> None:
    assert check_password("12345678") == "12345678"
    with pytest.raises(AccountError, match="at least 8"):
        check_password("1234567")


def test_page_counts_pages_and_neighbours() -> None:
    empty: Page[int] = Page(items=[], page=1, per_page=50, total=0)
    full: Page[int] = Page(items=[], page=2, per_page=50, total=101)

    assert (empty.pages, empty.has_previous, empty.has_next) == (1, False, False)
    assert (full.pages, full.has_previous, full.has_next) == (3, True, True)


def test_category_label_reads_known_and_unknown_categories() -> None:
    assert category_label("timecard_pay") == "Timecard / pay"
    assert category_label("brand_new_thing") == "Brand new thing"


@pytest.mark.parametrize("email", ["kim..lee@example.com", "kim@-example.com", "kim@example..com"])
def test_check_email_refuses_what_the_roster_refuses(email: str) -> None:
    # One address check for staff and contractors alike (email-validator).
    with pytest.raises(AccountError, match="email"):
        check_email(email)
