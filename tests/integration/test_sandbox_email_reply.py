"""The sandbox playing a contractor by email: an Inbound Parse post over real HTTP to the app,
answering the survey email the tick sent through SendGrid's SDK."""

from __future__ import annotations

from datetime import date

import requests
from rq import Queue
from sqlalchemy import select

from core.db import db
from outreach.models import Contractor, Invitation, Message, Survey
from surveys.models import Response
from tests.conftest import FrozenClock
from tests.integration.conftest import Live

EMAIL = "rosa.diaz@example.com"
DOMAIN = "reply.example.com"  # tests/conftest.py settings
REPLY = "2 - my badge still doesn't open the side door, I wait outside every morning"


def _send_survey_by_email(live: Live) -> dict[str, object]:
    with db.session() as session:
        session.add(
            Survey(
                key="pulse",
                name="Pulse",
                question="How is it going?",
                sms_template="Hi {first_name}, how is {client}? Reply 1-{scale_max}.",
                email_subject="How is {client}?",
                email_template="Hi {first_name},\n\nHow is {client}? Reply 1-{scale_max}.",
                onboarding_days=[3, 14],
            )
        )
        session.add(
            Contractor(
                external_id="C-1",
                name="Rosa Diaz",
                phone="+12125550147",
                email=EMAIL,
                timezone="America/New_York",
                channel="email",
                start_date=date(2026, 2, 27),  # day 3 is the clock's Monday
                client="Acme",
                account_manager="Dana",
            )
        )
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()
    [sent] = live.sandbox.emails()
    return sent


def test_sandbox_email_reply_answers_the_survey_email_and_links_the_invitation(
    live: Live, clock: FrozenClock
) -> None:
    sent = _send_survey_by_email(live)

    assert live.sandbox.email_reply(f"Rosa Diaz <{EMAIL}>", REPLY) == 200
    live.work()

    with db.session() as session:
        invitation = session.scalars(select(Invitation)).one()
        response = session.scalars(select(Response)).one()
        message = session.scalars(select(Message).where(Message.direction == "inbound")).one()
        assert sent["reply_to"] == f"reply+{invitation.reply_token}@{DOMAIN}"
        assert response.invitation_id == invitation.id
        assert invitation.status == "answered"
        assert response.channel == "email"
        assert response.rating == 2
        assert response.text == REPLY  # the Gmail quote is stripped when the reply is read
        assert response.flags["routed_by"] == "address"
        assert message.to_address == sent["reply_to"]
        assert message.subject == "Re: How is Acme?"
        assert "wrote:\n\n> Hi Rosa," in message.body  # ...and kept in the stored message
        assert message.payload["references"] == [sent["headers"]["Message-ID"].strip("<>")]
    [record] = live.sandbox.replies()
    assert record["status"] == 200
    assert record["message_id"] == message.provider_id


def test_sandbox_email_reply_over_http_posts_the_reply(live: Live, clock: FrozenClock) -> None:
    _send_survey_by_email(live)

    answer = requests.post(
        live.sandbox.url + "/_sandbox/email-reply",
        json={"from": EMAIL, "text": "5 all good", "subject": "thanks"},
        timeout=10,
    )
    live.work()

    assert answer.status_code == 200
    assert answer.json()["status"] == 200
    with db.session() as session:
        response = session.scalars(select(Response)).one()
        assert response.rating == 5
        assert response.invitation_id == session.scalars(select(Invitation.id)).one()
        message = session.scalars(select(Message).where(Message.direction == "inbound")).one()
        assert message.subject == "thanks"


def test_sandbox_email_reply_over_http_names_the_missing_field(live: Live) -> None:
    answer = requests.post(
        live.sandbox.url + "/_sandbox/email-reply", json={"from": EMAIL}, timeout=10
    )

    assert answer.status_code == 400
    assert "'text'" in answer.json()["error"]
    assert live.sandbox.replies() == []


def test_sandbox_email_reply_with_no_email_to_answer_asks_for_to(live: Live) -> None:
    answer = requests.post(
        live.sandbox.url + "/_sandbox/email-reply",
        json={"from": "nobody@example.com", "text": "hi"},
        timeout=10,
    )

    assert answer.status_code == 404
    assert "give 'to'" in answer.json()["error"]
    assert live.sandbox.replies() == []


def test_sandbox_email_reply_to_a_given_address_without_a_survey_is_kept_unsolicited(
    live: Live, clock: FrozenClock
) -> None:
    status = live.sandbox.email_reply(
        "stranger@example.org", "3 who runs this?", to=f"hello@{DOMAIN}", subject="Question"
    )
    live.work()

    assert status == 200
    with db.session() as session:
        response = session.scalars(select(Response)).one()
        assert response.invitation_id is None
        assert response.flags["unknown_sender"] is True
