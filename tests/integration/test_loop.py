"""The whole loop on real parts: tick -> RQ -> twilio SDK -> sandbox -> signed webhook over
HTTP -> RQ -> Response, Ticket and Alert rows."""

from __future__ import annotations

from datetime import date

import requests
from rq import Queue
from sqlalchemy import func, select

from core.db import db
from core.queue import queues
from outreach.models import Contractor, Invitation, Message, Survey
from surveys.models import Alert, Response, Ticket
from tests.conftest import FrozenClock
from tests.integration.conftest import Live

PHONE = "+12125550147"


def _seed(start: date = date(2026, 2, 27)) -> None:
    with db.session() as session:
        session.add(
            Survey(
                key="pulse",
                name="Pulse",
                question="How is it going?",
                scale_max=5,
                sms_template="Hi {first_name}, how is {client}? Reply 1-{scale_max}.",
                email_subject="How is {client}?",
                email_template="Hi {first_name}",
                onboarding_days=[3, 14],
                pulse_every_days=None,
            )
        )
        session.add(
            Contractor(
                external_id="C-1",
                name="Rosa Diaz",
                phone=PHONE,
                email="rosa@example.com",
                timezone="America/New_York",
                channel="sms",
                start_date=start,
                client="Acme",
                account_manager="Dana",
            )
        )


def _count(model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _tick(live: Live) -> None:
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()


def test_loop_sends_survey_and_turns_signed_reply_into_response_and_ticket(
    live: Live, clock: FrozenClock
) -> None:
    _seed()  # day 3 of the assignment is Monday 2026-03-02; the clock says 10:00 in New York
    _tick(live)

    sent = live.sandbox.sms()
    assert [(m["to"], m["body"]) for m in sent] == [(PHONE, "Hi Rosa, how is Acme? Reply 1-5.")]
    assert sent[0]["status_callback"].startswith(live.url + "/webhooks/twilio/status?m=")

    assert live.sandbox.reply(PHONE, "2 my timecard was rejected again and pay is late") == 200
    live.work()

    with db.session() as session:
        response = session.scalars(select(Response)).one()
        invitation = session.scalars(select(Invitation)).one()
        ticket = session.scalars(select(Ticket)).one()
        assert response.rating == 2
        assert response.negative and response.flagged
        assert response.category == "timecard_pay"
        assert response.invitation_id == invitation.id
        assert invitation.status == "answered"
        assert ticket.category == "timecard_pay"
        assert [r.id for r in ticket.responses] == [response.id]
        assert ticket.contractor_id == response.contractor_id
        # Day 3 and negative: Care hears of it as early-tenure risk.
        alert = session.scalars(select(Alert)).one()
        assert alert.kind == "early_tenure"


def test_loop_with_wrong_signature_gets_403_and_stores_nothing(live: Live) -> None:
    _seed()
    reply = requests.post(
        live.url + "/webhooks/twilio/sms",
        data={"MessageSid": "SM" + "a" * 32, "From": PHONE, "To": "+15005550006", "Body": "5"},
        headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        timeout=5,
    )
    assert reply.status_code == 403
    unsigned = requests.post(
        live.url + "/webhooks/twilio/sms", data={"MessageSid": "SM" + "b" * 32}, timeout=5
    )
    assert unsigned.status_code == 403
    live.work()
    assert _count(Message) == 0
    assert _count(Response) == 0


def test_loop_same_webhook_twice_stores_one_message_and_one_response(live: Live) -> None:
    _seed()
    sid = "SM" + "c" * 32
    assert live.sandbox.reply(PHONE, "4 all good", message_sid=sid) == 200
    assert live.sandbox.reply(PHONE, "4 all good", message_sid=sid) == 200
    live.work()
    assert live.sandbox.reply(PHONE, "4 all good", message_sid=sid) == 200
    live.work()
    assert _count(Message) == 1
    assert _count(Response) == 1


def test_loop_status_callback_moves_invitation_forward_only(live: Live, clock: FrozenClock) -> None:
    _seed()
    _tick(live)
    sid = live.sandbox.sms()[0]["sid"]
    assert live.sandbox.status_callback(sid, "delivered") == 204
    assert live.sandbox.status_callback(sid, "sent") == 204  # late and out of order
    with db.session() as session:
        message = session.scalars(select(Message).where(Message.provider_id == sid)).one()
        assert message.status == "delivered"
        assert session.scalars(select(Invitation)).one().status == "delivered"


def test_loop_reply_stored_while_redis_is_down_is_read_after_the_sweep(
    live: Live, clock: FrozenClock, redis_url: str
) -> None:
    _seed()
    _tick(live)
    queues.close()
    queues.configure("redis://127.0.0.1:1/0")  # Redis is gone: nothing listens there
    assert live.sandbox.reply(PHONE, "5 great week") == 200
    assert _count(Message) == 2  # the survey text and the stored reply
    assert _count(Response) == 0

    queues.close()
    queues.configure(redis_url)  # Redis is back
    _tick(live)  # the sweep notices the waiting reply and wakes a reader
    with db.session() as session:
        assert session.scalars(select(Response)).one().rating == 5
