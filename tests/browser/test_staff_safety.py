"""Contractor text cannot run script in a staff browser, and forms need their CSRF token."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import db
from staff.models import WorkNote
from tests.browser.conftest import Tab
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_message,
    make_response,
    make_staff_user,
    make_ticket,
)

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT} and {BREAKOUT}"


def test_hostile_reply_is_shown_as_text_and_runs_nothing(unguarded_tab: Tab) -> None:
    # This tab ignores the Content-Security-Policy: escaping alone must keep the page safe.
    tab = unguarded_tab
    with db.session() as session:
        contractor = make_contractor(session, name=BREAKOUT, client=SCRIPT)
        reply = make_response(session, contractor_id=contractor.id, text=HOSTILE)
        make_message(
            session,
            direction="outbound",
            contractor_id=contractor.id,
            body=HOSTILE,
            subject=BREAKOUT,
            status="delivered",
        )
        ticket = make_ticket(session, contractor_id=contractor.id, summary=HOSTILE)
        alert = make_alert(session, contractor_id=contractor.id, evidence={"quote": HOSTILE})
        ticket.responses.append(reply)
        alert.responses.append(reply)
        make_staff_user(session, role="admin", email="admin@example.com")
        pages = [
            "/staff/replies",
            f"/staff/tickets/{ticket.id}",
            f"/staff/alerts/{alert.id}",
            f"/staff/contractors/{contractor.id}",
            "/staff/contractors",
            "/staff/support",
            "/staff/care",
        ]
    tab.sign_in("admin@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page

    for path in pages:
        tab.go(path)
        page.wait_for_load_state("load")
        assert page.locator("img").count() == 0, path
        # Our own static scripts (the queue refresher) may load; nothing the contractor wrote
        # may become a script, inline or from elsewhere.
        scripts = page.locator("script")
        for i in range(scripts.count()):
            src = scripts.nth(i).get_attribute("src") or ""
            assert src.startswith("/staff/static/"), (path, src)
        expect(page.get_by_text(BREAKOUT).first).to_be_visible()
    tab.go(f"/staff/contractors/{contractor.id}")
    expect(page.locator("blockquote.reply-text").first).to_have_text(HOSTILE)
    expect(page.get_by_role("heading", level=1)).to_have_text(BREAKOUT)
    tab.go("/staff/replies")
    expect(page.locator("blockquote.reply-text").first).to_have_text(HOSTILE)

    assert tab.dialogs == []
    assert page.evaluate("() => typeof window.onerror") == "object"  # nothing was defined


def test_form_posted_without_its_csrf_token_is_refused(tab: Tab) -> None:
    with db.session() as session:
        ticket = make_ticket(session)
        make_staff_user(session, role="support", email="support@example.com")
        ticket_id = ticket.id
    tab.sign_in("support@example.com", DEFAULT_STAFF_PASSWORD)
    page = tab.page
    tab.go(f"/staff/tickets/{ticket_id}")
    note_form = page.locator("form", has=page.get_by_label("Internal note (staff only)"))

    # What a forged cross-site form would be: the same fields, no token.
    note_form.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    page.get_by_label("Internal note (staff only)").fill("Should never be stored")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Add note").click()

    assert navigation.value is not None and navigation.value.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Bad Request")
    expect(
        page.get_by_text("This form has expired or did not come from this site.")
    ).to_be_visible()
    with db.session() as session:
        assert session.scalars(select(WorkNote)).all() == []

    # With the token the same form goes through.
    tab.go(f"/staff/tickets/{ticket_id}")
    page.get_by_label("Internal note (staff only)").fill("Stored")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("status")).to_contain_text("Note added.")
