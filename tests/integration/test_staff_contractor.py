"""The contractor page: profile, consent, timeline, trend chart, and replying through the
delivery path (consent and the 08:00-20:00 window apply)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import db
from outreach import consent, delivery
from outreach.models import Message
from staff.models import AuditEvent, StaffUser, WorkNote
from tests.conftest import FrozenClock
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_contractor,
    make_message,
    make_response,
    make_staff_user,
    make_ticket,
)
from tests.integration.conftest import Live
from tests.staff_helpers import Staff, signed_in

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _as(app: Flask, user: StaffUser) -> Staff:
    return signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)


def test_contractor_page_shows_profile_consent_and_timeline_newest_first(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    ana = make_contractor(
        session,
        name="Ana Ortiz",
        client="Globex",
        account_manager="Dana Reyes",
        phone="+14155550101",
        email="ana@example.com",
    )
    consent.record_opt_out(session, "+14155550101", "sms", source="keyword")
    make_message(
        session,
        direction="outbound",
        contractor_id=ana.id,
        body="How is Globex going?",
        to_address="+14155550101",
        status="delivered",
        created_at=T0 - timedelta(days=3),
    )
    reply = make_response(
        session, contractor_id=ana.id, text="2 pay is late", created_at=T0 - timedelta(days=2)
    )
    ticket = make_ticket(session, contractor_id=ana.id, created_at=T0 - timedelta(days=2))
    ticket.responses.append(reply)
    make_message(
        session,
        contractor_id=None,
        from_address="+14155550101",
        body="STOP",
        created_at=T0 - timedelta(days=1),
    )
    carer = make_staff_user(session, role="care", email="cleo@example.com")
    session.add(
        WorkNote(
            contractor_id=ana.id,
            staff_user_id=carer.id,
            kind="call",
            body="Spoke to Ana",
            created_at=T0 - timedelta(hours=1),
        )
    )
    user = make_staff_user(session, role="support")
    session.commit()

    html = _as(app, user).page(f"/staff/contractors/{ana.id}")

    assert "<h1>Ana Ortiz</h1>" in html
    assert "Globex" in html and "Dana Reyes" in html and "(day 28)" in html
    sms_row, email_row = re.findall(r"<tr>\s*<td data-label=\"Channel\">.*?</tr>", html, re.S)
    assert "+14155550101" in sms_row and ">No<" in sms_row and "Opted out (keyword)" in sms_row
    # An SMS STOP stops email too (outreach never routes around a "no"): the page says so.
    assert "ana@example.com" in email_row and ">No<" in email_row
    assert "Stopped: opted out by SMS" in email_row
    order = [html.index(s) for s in ("Spoke to Ana", ">STOP<", "2 pay is late", "How is Globex")]
    assert order == sorted(order)
    assert f"Support ticket #{ticket.id}" in html
    assert "cleo@example.com" in html


def test_contractor_chart_draws_one_mark_per_rating_and_per_reply(
    app: Flask, session: Session
) -> None:
    ana = make_contractor(session)
    for day, rating, polarity in ((1, 4, 0.5), (8, None, -0.2), (15, 2, -0.6)):
        make_response(
            session,
            contractor_id=ana.id,
            rating=rating,
            polarity=polarity,
            created_at=T0 - timedelta(days=20 - day),
        )
    user = make_staff_user(session, role="care")
    session.commit()

    html = _as(app, user).page(f"/staff/contractors/{ana.id}")

    svg = html[html.index('<svg class="chart-svg"') : html.index("</svg>", html.index("chart-svg"))]
    assert 'role="img"' in svg and '<title id="trend-title">' in svg
    assert svg.count('<circle class="marker"') == 2  # ratings
    assert svg.count('<rect class="marker"') == 3  # how the words of every reply read
    assert "rated 2 of 5" in svg and "words read -0.60" in svg
    assert "3 replies from" in svg  # the description a screen reader reads


def test_contractor_with_no_replies_says_there_is_nothing_to_chart(
    app: Flask, session: Session
) -> None:
    ana = make_contractor(session)
    user = make_staff_user(session)
    session.commit()

    html = _as(app, user).page(f"/staff/contractors/{ana.id}")

    assert "No replies yet, so nothing to chart." in html and '<svg class="chart-svg"' not in html


def test_contractors_list_finds_by_name_and_client(app: Flask, session: Session) -> None:
    make_contractor(session, name="Ana Ortiz", client="Globex")
    make_contractor(session, name="Ben Stone", client="Initech")
    user = make_staff_user(session)
    session.commit()
    staff = _as(app, user)

    assert "Ben Stone" not in staff.page("/staff/contractors?q=ortiz")
    assert "Ana Ortiz" in staff.page("/staff/contractors?q=ortiz")
    by_client = staff.page("/staff/contractors?client=Initech")
    assert "Ben Stone" in by_client and "Ana Ortiz" not in by_client


def test_staff_reply_is_queued_through_delivery_and_audited(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    ana = make_contractor(session, timezone="America/New_York")  # 10:00 there
    user = make_staff_user(session, role="support")
    session.commit()
    staff = _as(app, user)

    answer = staff.post(
        f"/staff/contractors/{ana.id}/reply",
        **{"reply-channel": "sms", "reply-body": "Call you at 11?"},
    )

    assert answer.status_code == 303
    assert "it goes out now" in staff.page(answer.headers["Location"])
    [message] = session.scalars(select(Message).where(Message.contractor_id == ana.id))
    assert (message.direction, message.status, message.body) == (
        "outbound",
        "scheduled",
        "Call you at 11?",
    )
    assert message.payload == {"staff_user_id": user.id}
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "reply_queued"))
    assert (event.staff_user_id, event.target_id, event.detail["message_id"]) == (
        user.id,
        ana.id,
        message.id,
    )


def test_staff_reply_to_an_opted_out_channel_is_refused_naming_it(
    app: Flask, session: Session
) -> None:
    ana = make_contractor(session, name="Ana Ortiz", phone="+14155550101")
    consent.record_opt_out(session, "+14155550101", "sms", source="keyword")
    user = make_staff_user(session)
    session.commit()

    answer = _as(app, user).post(
        f"/staff/contractors/{ana.id}/reply", **{"reply-channel": "sms", "reply-body": "Hi"}
    )

    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert 'id="reply-channel-error"' in html and "Ana Ortiz opted out of sms messages" in html
    assert session.scalars(select(Message)).all() == []


def test_staff_email_needs_a_subject(app: Flask, session: Session) -> None:
    ana = make_contractor(session)
    user = make_staff_user(session)
    session.commit()

    answer = _as(app, user).post(
        f"/staff/contractors/{ana.id}/reply", **{"reply-channel": "email", "reply-body": "Hi"}
    )

    assert answer.status_code == 400
    assert 'id="reply-subject-error"' in answer.get_data(as_text=True)


def test_staff_reply_at_night_waits_for_8am_then_goes_out_once(
    live: Live, clock: FrozenClock
) -> None:
    with db.session() as session:
        kenji = make_contractor(
            session, name="Kenji Mori", timezone="Asia/Tokyo", phone="+81312340107"
        )
        user = make_staff_user(session, role="care")
        kenji_id = kenji.id
        email = user.email
    staff = signed_in(live.app.test_client(), email, DEFAULT_STAFF_PASSWORD)

    # 15:00 UTC is midnight in Tokyo.
    answer = staff.post(
        f"/staff/contractors/{kenji_id}/reply",
        **{"reply-channel": "sms", "reply-body": "Sorry to hear it; calling tomorrow."},
    )
    assert "waits until 08:00 on Tue 03 Mar" in staff.page(answer.headers["Location"])
    live.work()
    assert live.sandbox.sms() == []

    clock.set(datetime(2026, 3, 2, 23, 0, tzinfo=UTC))  # 08:00 in Tokyo
    delivery.nudge_dispatch()
    live.work()
    delivery.nudge_dispatch()
    live.work()

    sent = live.sandbox.sms()
    assert [(m["to"], m["body"]) for m in sent] == [
        ("+81312340107", "Sorry to hear it; calling tomorrow.")
    ]
