"""Email replies over the real path: Inbound Parse post over HTTP -> RQ worker -> rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email.message import EmailMessage

import pytest
import requests
from rq import Queue
from sqlalchemy import func, select

from core.db import db
from outreach.consent import Reach, reach
from outreach.email_threads import thread_message_id
from outreach.models import Invitation, Message, Survey
from surveys.matching import ANSWER_WINDOW
from surveys.models import Alert, Response, Ticket
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.fixtures.email.inbound_parse import INBOUND_PATH, encode, fields, sample
from tests.integration.conftest import Live

SECRET = "test-inbound-secret"  # tests/conftest.py settings
DOMAIN = "reply.example.com"
GMAIL_REPLY = (
    "2 - my timecard for last week still hasn't been approved and payroll says it's on "
    "my manager. Nobody is answering my emails about it.\n\nRosa"
)


def _survey(session: object) -> Survey:
    survey = Survey(
        key="pulse",
        name="Pulse",
        question="How is it going?",
        sms_template="Hi {first_name}, how is {client}? Reply 1-{scale_max}.",
        email_subject="How is {client}?",
        email_template="Hi {first_name},\n\nHow is {client}? Reply 1-{scale_max}.",
        onboarding_days=[3, 14],
    )
    session.add(survey)  # type: ignore[attr-defined]
    return survey


def _seed(email: str, token: str, sent_at: datetime, *, start: date = date(2026, 2, 20)) -> int:
    """A contractor reached by email, and one invitation sent to them at ``sent_at``."""
    with db.session() as session:
        survey = _survey(session)
        contractor = make_contractor(session, email=email, channel="email", start_date=start)
        invitation = Invitation(
            survey=survey,
            contractor_id=contractor.id,
            due_on=sent_at.date(),
            status="sent",
            channel="email",
            reply_token=token,
            sent_at=sent_at,
            expires_at=sent_at + timedelta(days=2),
        )
        session.add(invitation)
        session.flush()
        return invitation.id


def _post(live: Live, raw: bytes, mode: str = "parsed", secret: str = SECRET) -> int:
    body, content_type = encode(fields(raw, mode))
    answer = requests.post(
        live.url + INBOUND_PATH + secret,
        data=body,
        headers={"Content-Type": content_type},
        timeout=10,
    )
    return answer.status_code


def _email(body: str, *, sender: str, to: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: How is Acme going?"
    message["Message-ID"] = headers.pop("message_id", "<reply-1@mail.example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def _count(model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _only_response() -> Response:
    with db.session() as session:
        return session.scalars(select(Response)).one()


def test_inbound_email_gmail_quoted_reply_becomes_response_without_the_quote(
    live: Live, clock: FrozenClock
) -> None:
    invitation_id = _seed("rosa.diaz@gmail.com", "0f1e2d3c4b5a6978", clock.current)

    assert _post(live, sample("gmail_reply.eml")) == 200
    live.work()

    response = _only_response()
    assert response.text == GMAIL_REPLY
    assert response.channel == "email"
    assert response.invitation_id == invitation_id
    assert response.rating == 2
    assert response.negative and response.flagged
    assert response.flags["routed_by"] == "address"
    with db.session() as session:
        message = session.scalars(select(Message)).one()
        assert message.provider_id == (
            "<CAJx8Fq2pZ3vR0eW9sT6n-1kq7xPp4LrA0ZQmYhFJ=Kd+3wA7Tg@mail.gmail.com>"
        )
        assert "wrote:" in message.body  # the message is kept whole; the reply is stripped
        assert message.to_address == f"reply+0f1e2d3c4b5a6978@{DOMAIN}"
        invitation = session.get_one(Invitation, invitation_id)
        assert invitation.status == "answered"
        # Two points of five, 10 days in: Care hears of it.
        assert [a.kind for a in session.scalars(select(Alert))] == ["early_tenure"]


def test_inbound_email_raw_windows_1252_reply_keeps_its_accents(
    live: Live, clock: FrozenClock
) -> None:
    invitation_id = _seed("zoe.mueller@web.de", "c0ffee00c0ffee00", clock.current)

    assert _post(live, sample("windows1252_raw.eml"), mode="raw") == 200
    live.work()

    response = _only_response()
    assert response.text == (
        "3 \u2013 the work itself is fine, but my manager Jos\u00e9 keeps changing my hours "
        "without telling me, and I\u2019m being asked to cover weekend shifts that "
        "aren\u2019t in my contract."
    )
    assert response.invitation_id == invitation_id
    assert response.rating == 3
    with db.session() as session:
        message = session.scalars(select(Message)).one()
        assert message.payload["mode"] == "raw"
        assert "Zo\u00eb M\u00fcller" in message.body
        assert "\ufffd" not in message.body


def test_inbound_email_parsed_iso_8859_1_reply_is_decoded_by_charsets(
    live: Live, clock: FrozenClock
) -> None:
    _seed("francois.lefevre@gmx.net", "feedfacefeedface", clock.current)

    assert _post(live, sample("iso88591_reply.eml")) == 200
    live.work()

    response = _only_response()
    assert response.text.startswith("4 - tr\u00e8s bien. The caf\u00e9 badge works now")
    assert "Na\u00efve question" in response.text
    assert response.rating == 4


@pytest.mark.parametrize(
    ("sample_name", "address", "token", "expected"),
    [
        (
            "outlook_reply.eml",
            "marcus.lee@outlook.com",
            "a1b2c3d4e5f60718",
            "Honestly it\u2019s been rough. They still haven\u2019t given me a laptop or a "
            "building badge, so I wait in the lobby every morning until someone lets me in. 2",
        ),
        (
            "apple_mail_reply.eml",
            "ana.lima@icloud.com",
            "99aa88bb77cc66dd",
            "5! Great crew and the site lead checks in with me every morning.",
        ),
    ],
)
def test_inbound_email_outlook_and_apple_mail_quotes_are_stripped(
    live: Live, clock: FrozenClock, sample_name: str, address: str, token: str, expected: str
) -> None:
    _seed(address, token, clock.current)

    assert _post(live, sample(sample_name)) == 200
    live.work()

    response = _only_response()
    assert response.text == expected
    assert response.invitation_id is not None


def test_inbound_email_reply_without_the_reply_address_is_routed_by_in_reply_to(
    live: Live, clock: FrozenClock
) -> None:
    with db.session() as session:
        _survey(session)
        make_contractor(
            session,
            email="rosa@example.com",
            channel="email",
            start_date=date(2026, 2, 27),  # day 3 is today
        )
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()
    [sent] = live.sandbox.emails()
    sent_id = sent["headers"]["Message-ID"]

    # Replied from another address, to the list address: only the thread says who and what.
    reply = _email(
        "4 all good, thanks for checking",
        sender="Rosa D <rosa.personal@example.net>",
        to=f"team@{DOMAIN}",
        In_Reply_To=sent_id,
        References=sent_id,
    )
    assert _post(live, reply) == 200
    live.work()

    response = _only_response()
    with db.session() as session:
        invitation = session.scalars(select(Invitation)).one()
        assert sent["reply_to"] == f"reply+{invitation.reply_token}@{DOMAIN}"
        assert response.invitation_id == invitation.id
        assert response.contractor_id == invitation.contractor_id
        assert response.flags["routed_by"] == "thread"
        assert invitation.status == "answered"


def test_inbound_email_with_wrong_secret_gets_403_and_stores_nothing(
    live: Live, clock: FrozenClock
) -> None:
    _seed("rosa.diaz@gmail.com", "0f1e2d3c4b5a6978", clock.current)

    assert _post(live, sample("gmail_reply.eml"), secret="not-the-secret") == 403
    live.work()

    assert _count(Message) == 0
    assert _count(Response) == 0


def test_inbound_email_posted_twice_is_stored_and_read_once(live: Live, clock: FrozenClock) -> None:
    _seed("rosa.diaz@gmail.com", "0f1e2d3c4b5a6978", clock.current)

    assert _post(live, sample("gmail_reply.eml")) == 200
    live.work()
    assert _post(live, sample("gmail_reply.eml"), mode="raw") == 200  # SendGrid retried
    live.work()

    assert _count(Message) == 1
    assert _count(Response) == 1
    assert _count(Ticket) <= 1


@pytest.mark.parametrize("sample_name", ["auto_reply.eml", "vacation_autoreply.eml", "bounce.eml"])
def test_inbound_email_auto_replies_and_bounces_are_dropped(
    live: Live, clock: FrozenClock, sample_name: str
) -> None:
    invitation_id = _seed("marcus.lee@outlook.com", "a1b2c3d4e5f60718", clock.current)

    assert _post(live, sample(sample_name)) == 200  # taken, so SendGrid does not retry
    live.work()

    assert _count(Message) == 0
    assert _count(Response) == 0
    with db.session() as session:
        assert session.get_one(Invitation, invitation_id).status == "sent"


def test_inbound_email_from_an_unknown_address_is_kept_and_flagged(
    live: Live, clock: FrozenClock
) -> None:
    _seed("rosa.diaz@gmail.com", "0f1e2d3c4b5a6978", clock.current)

    stranger = "someone@unknown.example.org"
    assert _post(live, _email("3 who runs this survey?", sender=stranger, to=f"hi@{DOMAIN}")) == 200
    live.work()

    response = _only_response()
    assert response.contractor_id is None
    assert response.invitation_id is None
    assert response.flagged
    assert response.flags["unknown_sender"] is True
    assert response.flags["from"] == stranger


def test_inbound_email_reply_after_the_answer_window_is_unsolicited(
    live: Live, clock: FrozenClock
) -> None:
    sent_at = clock.current - ANSWER_WINDOW - timedelta(days=1)
    invitation_id = _seed("rosa.diaz@gmail.com", "0f1e2d3c4b5a6978", sent_at)

    assert _post(live, sample("gmail_reply.eml")) == 200
    live.work()

    response = _only_response()
    assert response.invitation_id is None
    assert response.contractor_id is not None
    assert response.flags["unsolicited"] is True
    assert response.flags["late_for_invitation"] == invitation_id


def test_inbound_email_asking_to_stop_opts_the_address_out(live: Live, clock: FrozenClock) -> None:
    _seed("rosa.diaz@gmail.com", "0f1e2d3c4b5a6978", clock.current)
    reply = _email(
        "Please stop emailing me.\n\nOn Mon, Mar 2, 2026 at 10:00 AM Contractor Pulse "
        "<pulse@example.com> wrote:\n> How is Acme going?\n",
        sender="Rosa Diaz <rosa.diaz@gmail.com>",
        to=f"reply+0f1e2d3c4b5a6978@{DOMAIN}",
    )

    assert _post(live, reply) == 200
    live.work()

    with db.session() as session:
        assert reach(session, "rosa.diaz@gmail.com") is Reach.OPTED_OUT


def test_inbound_email_without_a_sender_gets_400_naming_the_field(live: Live) -> None:
    form = [(k, v) for k, v in fields(sample("gmail_reply.eml")) if k != "from"]
    form = [
        (k, v.replace(b"From: Rosa Diaz <rosa.diaz@gmail.com>\n", b"") if k == "headers" else v)
        for k, v in form
    ]
    body, content_type = encode(form)
    answer = requests.post(
        live.url + INBOUND_PATH + SECRET,
        data=body,
        headers={"Content-Type": content_type},
        timeout=10,
    )
    assert answer.status_code == 400
    assert "from:" in answer.text
    assert _count(Message) == 0


def test_inbound_email_thread_id_of_another_domain_routes_nothing(
    live: Live, clock: FrozenClock
) -> None:
    _seed("rosa.diaz@gmail.com", "0f1e2d3c4b5a6978", clock.current)
    foreign = thread_message_id("0f1e2d3c4b5a6978", "elsewhere.example.net")

    reply = _email("5", sender="x@unknown.example.org", to=f"hi@{DOMAIN}", In_Reply_To=foreign)
    assert _post(live, reply) == 200
    live.work()

    assert _only_response().invitation_id is None
