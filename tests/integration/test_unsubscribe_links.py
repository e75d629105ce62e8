"""Survey email: text and HTML, reply-to token, our ids in custom args, and the one-click
unsubscribe (RFC 8058) that works without a login or a cookie."""

from __future__ import annotations

from datetime import date

import requests
from rq import Queue
from sqlalchemy import select

from core.db import db
from outreach.models import Consent, Invitation
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.integration.conftest import Live
from tests.outreach_helpers import make_survey

EMAIL = "rosa@example.com"
PHONE = "+12125550147"


def _seed() -> None:
    with db.session() as session:
        make_survey(session, onboarding_days=[3, 4])
        make_contractor(
            session,
            name="Rosa <Diaz>",
            phone=PHONE,
            email=EMAIL,
            channel="email",
            client="Acme & Co",
            start_date=date(2026, 2, 27),
        )


def _tick(live: Live) -> None:
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()


def _unsubscribe_url(email: dict[str, object]) -> str:
    headers = email["headers"]
    assert isinstance(headers, dict)
    return str(headers["List-Unsubscribe"]).strip("<>")


def test_survey_email_has_both_bodies_reply_token_ids_and_one_click_headers(
    live: Live, clock: FrozenClock
) -> None:
    _seed()
    _tick(live)
    [email] = live.sandbox.emails()
    with db.session() as session:
        invitation = session.scalars(select(Invitation)).one()
    assert email["to"] == EMAIL
    assert email["subject"] == "How is Acme & Co?"
    assert email["reply_to"] == f"reply+{invitation.reply_token}@reply.example.com"
    assert email["custom_args"]["invitation_id"] == str(invitation.id)
    assert email["custom_args"]["message_id"].isdigit()
    assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = _unsubscribe_url(email)
    assert url.startswith(live.url + "/u/")
    assert "Hi Rosa," in email["text"] and url in email["text"]
    assert "Springfield" in email["text"]  # the postal address CAN-SPAM asks for
    assert "Acme &amp; Co" in email["html"] and f'href="{url}"' in email["html"]


def test_one_click_post_without_cookie_unsubscribes_and_stops_every_survey(
    live: Live, clock: FrozenClock
) -> None:
    _seed()
    _tick(live)
    url = _unsubscribe_url(live.sandbox.emails()[0])
    answer = requests.post(
        url,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert answer.status_code == 200
    assert "You are unsubscribed" in answer.text
    with db.session() as session:
        stored = session.scalars(select(Consent)).one()
        assert (stored.address, stored.source, stored.opted_out) == (
            EMAIL,
            "unsubscribe_link",
            True,
        )
    clock.advance(days=1)  # the next survey is due
    _tick(live)
    assert len(live.sandbox.emails()) == 1 and live.sandbox.sms() == []
    with db.session() as session:
        assert session.scalars(select(Invitation.status).order_by(Invitation.id)).all() == [
            "sent",
            "skipped",
        ]


def test_get_shows_a_page_and_unsubscribes_nobody(live: Live, clock: FrozenClock) -> None:
    # Mail scanners fetch every link: a GET must not act.
    _seed()
    _tick(live)
    page = requests.get(_unsubscribe_url(live.sandbox.emails()[0]), timeout=5)
    assert page.status_code == 200
    assert 'method="post"' in page.text
    assert "r***@example.com" in page.text and EMAIL not in page.text
    with db.session() as session:
        assert session.scalars(select(Consent)).all() == []


def test_forged_token_is_refused_and_changes_nothing(live: Live, clock: FrozenClock) -> None:
    _seed()
    _tick(live)
    url = _unsubscribe_url(live.sandbox.emails()[0])
    forged = url[:-3] + ("abc" if not url.endswith("abc") else "xyz")
    answer = requests.post(forged, data="List-Unsubscribe=One-Click", timeout=5)
    assert answer.status_code == 404
    with db.session() as session:
        assert session.scalars(select(Consent)).all() == []
