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


def _filtered_texts(client: Any, query: str) -> list[str]:
    html = _page(client, f"/staff/replies?{query}")
    return re.findall(r'<blockquote class="reply-text">([^<]*)</blockquote>', html)


def test_flagged_replies_filter_by_team_category_severity_client_manager_date_and_words(
    app: Flask, session: Session
) -> None:
    globex = make_contractor(session, name="Ana Ortiz", client="Globex", account_manager="Dana")
    initech = make_contractor(session, name="Ben Stone", client="Initech", account_manager="Sam")
    pay = make_response(
        session, contractor_id=globex.id, text="pay late", category="timecard_pay", created_at=T0
    )
    badge = make_response(
        session,
        contractor_id=initech.id,
        text="badge broken",
        category="equipment_access",
        created_at=T0 - timedelta(days=3),
    )
    sad = make_response(
        session,
        contractor_id=initech.id,
        text="feeling low",
        category="none",
        created_at=T0 - timedelta(days=10),
    )
    make_response(session, contractor_id=globex.id, text="odd one", category="none", created_at=T0)
    urgent = make_ticket(session, contractor_id=globex.id, priority="urgent")
    handed = make_ticket(session, contractor_id=initech.id, priority="normal", team="care")
    alert = make_alert(session, contractor_id=initech.id, severity="high")
    urgent.responses.append(pay)
    handed.responses.append(badge)
    alert.responses.append(sad)
    user = make_staff_user(session)
    session.commit()
    client = _staff_client(app, user)

    assert _filtered_texts(client, "team=support") == ["pay late"]
    assert _filtered_texts(client, "team=care") == ["badge broken", "feeling low"]
    assert _filtered_texts(client, "team=none") == ["odd one"]
    assert _filtered_texts(client, "category=equipment_access") == ["badge broken"]
    assert _filtered_texts(client, "severity=urgent") == ["pay late"]
    assert _filtered_texts(client, "severity=high") == ["feeling low"]
    assert _filtered_texts(client, "client=Initech") == ["badge broken", "feeling low"]
    assert _filtered_texts(client, "manager=Dana") == ["odd one", "pay late"]
    assert _filtered_texts(client, "date_from=2026-02-25&date_to=2026-02-28") == ["badge broken"]
    assert _filtered_texts(client, "q=BROKEN") == ["badge broken"]
    assert _filtered_texts(client, "q=ortiz") == ["odd one", "pay late"]
    assert _filtered_texts(client, "q=100%25") == []  # % is a character, not a wildcard
    assert _filtered_texts(client, "client=Initech&team=care&category=none") == ["feeling low"]


def test_flagged_replies_pages_keep_their_filters(app: Flask, session: Session) -> None:
    contractor = make_contractor(session, client="Globex")
    for n in range(51):
        make_response(session, contractor_id=contractor.id, created_at=T0 + timedelta(minutes=n))
    user = make_staff_user(session)
    session.commit()

    html = _page(_staff_client(app, user), "/staff/replies?client=Globex")

    assert 'href="/staff/replies?page=2&amp;client=Globex"' in html
    assert "51 flagged replies match these filters" in html


def test_flagged_replies_refuse_a_bad_filter_naming_it(app: Flask, session: Session) -> None:
    user = make_staff_user(session)
    session.commit()
    client = _staff_client(app, user)

    bad_team = client.get("/staff/replies?team=sales")
    bad_date = client.get("/staff/replies?date_from=yesterday")
    backwards = client.get("/staff/replies?date_from=2026-03-02&date_to=2026-03-01")

    assert bad_team.status_code == 400 and "team=&#39;sales&#39;" in bad_team.get_data(as_text=True)
    assert bad_date.status_code == 400 and "date_from=&#39;yesterday&#39; is not a date" in (
        bad_date.get_data(as_text=True)
    )
    assert backwards.status_code == 400 and "date_from is after date_to" in (
        backwards.get_data(as_text=True)
    )
