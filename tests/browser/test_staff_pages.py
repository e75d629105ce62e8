"""The contractor chart, and pages that read well on a laptop and a phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from playwright.sync_api import expect

from core.db import db
from outreach.models import Survey
from tests.browser.conftest import ARTIFACTS, LAPTOP, PHONE, Tab
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_response,
    make_staff_user,
    make_ticket,
)

pytestmark = pytest.mark.browser

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _history() -> dict[str, int]:
    """A contractor whose ratings fall over six weeks, with a ticket and an alert."""
    with db.session() as session:
        ana = make_contractor(session, name="Ana Lima", client="Acme Logistics")
        for weeks, rating, polarity in ((6, 5, 0.6), (4, 4, 0.3), (2, 2, -0.4), (1, 1, -0.7)):
            make_response(
                session,
                contractor_id=ana.id,
                rating=rating,
                polarity=polarity,
                text=f"{rating} this week",
                created_at=T0 - timedelta(weeks=weeks),
            )
        ticket = make_ticket(session, contractor_id=ana.id)
        alert = make_alert(session, contractor_id=ana.id)
        make_staff_user(session, role="admin", email="admin@example.com")
        survey = Survey(
            key="pulse",
            name="Pulse",
            question="How is it?",
            sms_template="Hi {first_name}. Reply STOP to opt out.",
            email_subject="Hi",
            email_template="Hi",
        )
        session.add(survey)
        session.flush()
        return {"contractor": ana.id, "ticket": ticket.id, "alert": alert.id, "survey": survey.id}


def test_contractor_chart_renders(tab: Tab) -> None:
    ana = _history()["contractor"]
    tab.sign_in("admin@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page

    tab.go(f"/staff/contractors/{ana}")

    chart = page.get_by_role("img", name="Rating and words of Ana Lima's replies")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 500 and box["height"] > 200
    expect(chart.locator("circle.marker")).to_have_count(4)
    expect(chart.locator("rect.marker")).to_have_count(4)
    # The rating line falls as the ratings do: a later point sits lower (larger y).
    ys = chart.locator("circle.marker").evaluate_all(
        "marks => marks.map(m => Number(m.getAttribute('cy')))"
    )
    assert ys == sorted(ys) and ys[0] < ys[-1]
    assert (chart.locator("path.line").first.get_attribute("d") or "").startswith("M")
    page.locator("figure#trend").screenshot(path=str(ARTIFACTS / f"{tab.name}-chart.png"))

    page.set_viewport_size(PHONE)
    box = chart.bounding_box()
    assert box is not None and 300 < box["width"] <= PHONE["width"]
    page.get_by_text("The numbers behind the chart").click()
    # Read before the reader (no probabilities): the words column falls back to polarity.
    expect(page.get_by_role("columnheader", name="Words read (reader)")).to_be_visible()
    expect(page.get_by_role("cell", name="+0.60").first).to_be_visible()
    tab.shot("phone")


def _headings(tab: Tab) -> list[int]:
    return tab.page.evaluate(
        "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]"
        ".filter(h => h.offsetParent !== null || h.closest('.sr-only'))"
        ".map(h => Number(h.tagName[1]))"
    )


def _unlabelled(tab: Tab) -> list[str]:
    return tab.page.evaluate(
        "() => [...document.querySelectorAll('input, select, textarea')]"
        ".filter(e => !['hidden', 'submit'].includes(e.type))"
        ".filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))"
        ".map(e => e.name || e.id)"
    )


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_page_fits_the_screen_with_labels_and_headings_in_order(
    tab: Tab, size: dict[str, int]
) -> None:
    ids = _history()
    tab.sign_in("admin@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    page.set_viewport_size(size)
    paths = [
        "/staff/support",
        "/staff/care",
        "/staff/replies",
        "/staff/contractors",
        f"/staff/contractors/{ids['contractor']}",
        f"/staff/tickets/{ids['ticket']}",
        f"/staff/alerts/{ids['alert']}",
        "/staff/dashboard",
        "/staff/surveys",
        f"/staff/surveys/{ids['survey']}",
        "/staff/users",
        "/staff/reading-rules",
        "/staff/audit",
        "/staff/export",
    ]
    problems = {}
    for path in paths:
        answer = tab.go(path)
        found = []
        if answer.status != 200:
            found.append(f"status {answer.status}")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            found.append(f"{overflow}px wider than the screen")
        levels = _headings(tab)
        if levels.count(1) != 1 or levels[0] != 1:
            found.append(f"headings {levels}")
        if any(b - a > 1 for a, b in pairwise(levels)):
            found.append(f"heading levels skip: {levels}")
        unlabelled = _unlabelled(tab)
        if unlabelled:
            found.append(f"unlabelled {unlabelled}")
        if found:
            problems[path] = found
        tab.shot(path.removeprefix("/staff/").replace("/", "_"))

    assert problems == {}
