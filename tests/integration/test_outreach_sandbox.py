"""What the sandbox gained for outreach: posting what providers post, latency, a record with
arrival times, the Messages list, and a signing key the app can derive."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
from rq import Queue
from sendgrid.helpers.eventwebhook import EventWebhook
from sqlalchemy import select
from twilio.rest import Client

from core.config import Settings
from core.db import db
from outreach.channels.twilio_sms import SANDBOX_ACCOUNT_SID
from outreach.models import Invitation, Message
from sandbox import Sandbox, event_key, public_key_text, sign_events
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.integration.conftest import Live
from tests.outreach_helpers import make_survey
from webhooks.sendgrid_events import verification_key

TOKEN = "sandbox-test-token"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(auth_token=TOKEN) as running:
        yield running


def _client(sandbox: Sandbox) -> Client:
    client = Client(SANDBOX_ACCOUNT_SID, TOKEN, environment={"PULSE_TWILIO": "sandbox"})
    client.api.base_url = sandbox.url
    return client


def _send_one(live: Live) -> None:
    with db.session() as session:
        make_survey(session, onboarding_days=[3])
        make_contractor(session, start_date=date(2026, 2, 27))
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()


def _statuses() -> tuple[str, str]:
    with db.session() as session:
        invitation = session.scalars(select(Invitation)).one()
        message = session.scalars(select(Message)).one()
        return invitation.status, message.status


def test_sandbox_posts_signed_status_callbacks_when_asked(live: Live, clock: FrozenClock) -> None:
    live.sandbox.auto_callbacks = True
    _send_one(live)
    live.sandbox.stop()  # waits for what it was posting
    assert _statuses() == ("delivered", "delivered")


def test_status_callbacks_out_of_order_never_move_a_status_back(
    live: Live, clock: FrozenClock
) -> None:
    _send_one(live)
    [sms] = live.sandbox.sms()
    assert live.sandbox.status_callback(sms["sid"], "delivered") == 204
    assert live.sandbox.status_callback(sms["sid"], "sent") == 204
    assert live.sandbox.status_callback(sms["sid"], "queued") == 204
    assert _statuses() == ("delivered", "delivered")


def test_sandbox_latency_holds_answers_and_shows_them_in_flight(sandbox: Sandbox) -> None:
    sandbox.set_latency(0.5)
    sender = threading.Thread(
        target=lambda: _client(sandbox).messages.create(
            to="+15551230001", from_="+15005550006", body="hi"
        )
    )
    started = time.monotonic()
    sender.start()
    while sandbox.in_flight() == 0 and time.monotonic() - started < 2:
        time.sleep(0.01)
    assert sandbox.in_flight() == 1
    sender.join()
    assert sandbox.in_flight() == 0
    [sms] = sandbox.sms()
    assert sms["arrived_at"] >= started - 1  # wall clock, for pacing checks


def test_sandbox_lists_messages_to_a_number_newest_first(sandbox: Sandbox) -> None:
    client = _client(sandbox)
    for body in ("one", "two"):
        client.messages.create(to="+15551230001", from_="+15005550006", body=body)
    client.messages.create(to="+15551230002", from_="+15005550006", body="other")
    listed = list(client.messages.stream(to="+15551230001", page_size=20))
    assert [m.body for m in listed] == ["two", "one"]


def test_event_webhook_key_verifies_with_the_sendgrid_helper(sandbox: Sandbox) -> None:
    body = b'[{"event":"delivered"}]'
    signature = sign_events(sandbox.event_key, "1700000000", body)
    verifier = EventWebhook(sandbox.event_public_key)
    assert verifier.verify_signature(body.decode(), signature, "1700000000")
    assert not verifier.verify_signature(body.decode(), signature, "1700000001")


def test_app_derives_the_sandbox_key_only_in_development_against_the_sandbox() -> None:
    base = Settings.from_env({}, secret_key="k", twilio_auth_token="tok", environment="test")
    expected = public_key_text(event_key("tok"))
    derived = verification_key(base)
    assert derived is not None and derived == EventWebhook(expected).public_key
    real = Settings.from_env(
        {}, secret_key="k", twilio_auth_token="tok", sendgrid_api_key="SG.real", environment="test"
    )
    assert verification_key(real) is None  # real SendGrid and no key: trust nothing
    strong = "9f1c2b7e4d8a0c6e5b3f1a2d7c9e0b4f"  # production refuses weak secrets
    production = Settings.from_env(
        {},
        secret_key=strong,
        twilio_auth_token=strong[::-1],
        sendgrid_inbound_secret=strong.upper(),
        environment="production",
    )
    assert verification_key(production) is None
