"""The flagged replies inbox and the ticket and alert pages, as staff see them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from staff.models import StaffUser
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_message,
    make_response,
    make_staff_user,
    make_ticket,
)
from tests.staff_helpers import sign_in

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
HOSTILE = f"{SCRIPT} and {BREAKOUT}"

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _staff_client(app: Flask, user: StaffUser) -> Any:
    client = app.test_client()
    sign_in(client, user.email, DEFAULT_STAFF_PASSWORD)
    return client


def _page(client: Any, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, url
    return answer.get_data(as_text=True)  # type: ignore[no-any-return]


def _assert_shown_as_text(html: str) -> None:
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_flagged_replies_list_newest_first_with_contractor_and_client(
    app: Flask, session: Session
) -> None:
    ana = make_contractor(session, name="Ana Ortiz", client="Globex")
    ben = make_contractor(session, name="Ben Okafor", client="Initech")
    make_response(session, contractor_id=ana.id, text="older reply", created_at=T0)
    make_response(
        session, contractor_id=ben.id, text="newer reply", created_at=T0 + timedelta(hours=1)
    )
    make_response(session, contractor_id=ben.id, text="all fine thanks", flagged=False)
    user = make_staff_user(session, role="care")
    session.commit()

    html = _page(_staff_client(app, user), "/staff/replies")

    assert html.index("newer reply") < html.index("older reply")
    assert "Ana Ortiz" in html and "Globex" in html
    assert "Ben Okafor" in html and "Initech" in html
    assert "all fine thanks" not in html
    assert "2/5" in html
    assert "Timecard / pay" in html
    assert "2026-03-02 16:00 UTC" in html


def test_flagged_reply_from_unknown_sender_shows_the_from_address(
    app: Flask, session: Session
) -> None:
    reply = make_response(session, contractor_id=None, text="who is this")
    make_message(session, response_id=reply.id, from_address="+14155550199")
    user = make_staff_user(session)
    session.commit()

    html = _page(_staff_client(app, user), "/staff/replies")

    assert "Unknown sender" in html
    assert "+14155550199" in html


def test_flagged_reply_with_markup_is_shown_escaped_everywhere(
    app: Flask, session: Session
) -> None:
    contractor = make_contractor(session, name=HOSTILE, client=HOSTILE)
    reply = make_response(session, contractor_id=contractor.id, text=HOSTILE)
    unknown = make_response(session, contractor_id=None, text=HOSTILE)
    make_message(session, response_id=unknown.id, from_address=HOSTILE)
    ticket = make_ticket(session, contractor_id=contractor.id, summary=HOSTILE)
    ticket.responses.append(reply)
    alert = make_alert(
        session, contractor_id=contractor.id, evidence={"quote": HOSTILE, "texts": [HOSTILE]}
    )
    alert.responses.append(reply)
    admin = make_staff_user(session, role="admin")
    session.commit()
    client = _staff_client(app, admin)

    for url in ("/staff/replies", f"/staff/tickets/{ticket.id}", f"/staff/alerts/{alert.id}"):
        html = _page(client, url)
        _assert_shown_as_text(html)


def test_staff_pages_forbid_inline_script(app: Flask, session: Session) -> None:
    user = make_staff_user(session)
    session.commit()

    answer = _staff_client(app, user).get("/staff/replies")

    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["Cache-Control"] == "no-store"


def test_reply_badges_link_only_to_what_the_role_may_open(app: Flask, session: Session) -> None:
    contractor = make_contractor(session)
    reply = make_response(session, contractor_id=contractor.id)
    ticket = make_ticket(session, contractor_id=contractor.id)
    alert = make_alert(session, contractor_id=contractor.id)
    ticket.responses.append(reply)
    alert.responses.append(reply)
    support = make_staff_user(session, role="support")
    session.commit()

    html = _page(_staff_client(app, support), "/staff/replies")

    assert f'href="/staff/tickets/{ticket.id}"' in html
    assert f"Support ticket #{ticket.id}" in html
    assert f"Care alert #{alert.id}" in html
    assert f'href="/staff/alerts/{alert.id}"' not in html


def test_flagged_replies_come_fifty_to_a_page(app: Flask, session: Session) -> None:
    for n in range(51):
        make_response(session, text=f"reply number {n:02d}", created_at=T0 + timedelta(minutes=n))
    user = make_staff_user(session)
    session.commit()
    client = _staff_client(app, user)

    first = _page(client, "/staff/replies")
    second = _page(client, "/staff/replies?page=2")

    assert len(re.findall(r'class="card reply"', first)) == 50
    assert "reply number 50" in first and "reply number 01" in first
    assert "reply number 00" not in first
    assert "Page 1 of 2" in first and 'href="/staff/replies?page=2"' in first
    assert len(re.findall(r'class="card reply"', second)) == 1
    assert "reply number 00" in second


def test_flagged_replies_refuse_a_bad_page_number_naming_it(app: Flask, session: Session) -> None:
    user = make_staff_user(session)
    session.commit()
    client = _staff_client(app, user)

    for bad in ("0", "-1", "two"):
        answer = client.get(f"/staff/replies?page={bad}")
        assert answer.status_code == 400
        assert "page=" in answer.get_data(as_text=True)


def test_ticket_page_shows_its_replies_and_says_when_missing(app: Flask, session: Session) -> None:
    contractor = make_contractor(session, name="Cleo Park", client="Globex")
    reply = make_response(session, contractor_id=contractor.id, text="pay is late again")
    ticket = make_ticket(session, contractor_id=contractor.id, priority="urgent")
    ticket.responses.append(reply)
    user = make_staff_user(session, role="support")
    session.commit()
    client = _staff_client(app, user)

    html = _page(client, f"/staff/tickets/{ticket.id}")
    missing = client.get(f"/staff/tickets/{ticket.id + 1000}")

    assert "Cleo Park" in html and "pay is late again" in html and "urgent" in html
    assert missing.status_code == 404
    assert f"There is no ticket #{ticket.id + 1000}" in missing.get_data(as_text=True)
