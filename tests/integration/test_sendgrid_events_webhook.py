"""The signed Event Webhook: verified, within a time tolerance, applied once per event."""

from __future__ import annotations

import json
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from rq import Queue
from sqlalchemy import func, select

from core.db import db
from outreach import consent
from outreach.models import Consent, Invitation, Message, ProviderEvent
from sandbox import sign_events
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.integration.conftest import Live
from tests.outreach_helpers import make_survey

EMAIL = "rosa@example.com"
PHONE = "+12125550147"


@pytest.fixture
def sent_email(live: Live, clock: FrozenClock) -> str:
    """One survey email accepted by the sandbox; returns its X-Message-Id."""
    with db.session() as session:
        make_survey(session, onboarding_days=[3, 4])
        make_contractor(
            session, phone=PHONE, email=EMAIL, channel="email", start_date=date(2026, 2, 27)
        )
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()
    [email] = live.sandbox.emails()
    return str(email["message_id"])


def _state() -> tuple[str, str, int, list[tuple[str, str | None, bool]]]:
    with db.session() as session:
        invitation = session.scalars(select(Invitation).order_by(Invitation.id)).first()
        message = session.scalars(select(Message)).one()
        seen = session.scalar(select(func.count()).select_from(ProviderEvent)) or 0
        consents = [
            (c.address, c.source, c.opted_out)
            for c in session.scalars(select(Consent).order_by(Consent.id))
        ]
        assert invitation is not None
        return invitation.status, message.status, seen, consents


def test_delivered_event_moves_message_and_invitation_forward(live: Live, sent_email: str) -> None:
    assert live.sandbox.email_event(sent_email, "processed") == 204
    assert live.sandbox.email_event(sent_email, "delivered") == 204
    assert _state()[:3] == ("delivered", "delivered", 2)
    # A late "processed" changes nothing: statuses only move forward.
    assert live.sandbox.email_event(sent_email, "processed") == 204
    assert _state()[:2] == ("delivered", "delivered")


def test_bounce_suppresses_the_address_and_the_next_survey_goes_by_sms(
    live: Live, clock: FrozenClock, sent_email: str
) -> None:
    assert live.sandbox.email_event(sent_email, "bounce") == 204
    assert _state()[:2] == ("failed", "bounced")
    with db.session() as session:
        assert not consent.may_contact(session, EMAIL)
        assert consent.may_contact(session, PHONE)
    clock.advance(days=1)
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()
    assert len(live.sandbox.emails()) == 1
    assert [m["to"] for m in live.sandbox.sms()] == [PHONE]


@pytest.mark.parametrize(
    ("event", "fields", "source"),
    [
        ("spamreport", {}, "spamreport"),
        ("unsubscribe", {}, "unsubscribe"),
        ("group_unsubscribe", {"asm_group_id": 1}, "unsubscribe"),
        ("dropped", {"reason": "Unsubscribed Address"}, "unsubscribe"),
    ],
)
def test_opt_out_events_stop_every_channel(
    live: Live, sent_email: str, event: str, fields: dict[str, object], source: str
) -> None:
    assert live.sandbox.email_event(sent_email, event, **fields) == 204
    with db.session() as session:
        stored = session.scalars(select(Consent)).one()
        assert (stored.address, stored.source, stored.opted_out) == (EMAIL, source, True)
        assert consent.contractor_opted_out(session, [PHONE, EMAIL])


def test_dropped_for_a_bounced_address_marks_it_unreachable(live: Live, sent_email: str) -> None:
    assert live.sandbox.email_event(sent_email, "dropped", reason="Bounced Address") == 204
    with db.session() as session:
        stored = session.scalars(select(Consent)).one()
        assert stored.invalid_at is not None and not stored.opted_out


def test_duplicate_event_changes_nothing(live: Live, clock: FrozenClock, sent_email: str) -> None:
    assert live.sandbox.email_event(sent_email, "spamreport", sg_event_id="evt-1") == 204
    first = _state()
    with db.session() as session:
        opted_out_at = session.scalars(select(Consent.opted_out_at)).one()
    clock.advance(minutes=1)
    assert live.sandbox.email_event(sent_email, "spamreport", sg_event_id="evt-1") == 204
    assert _state() == first
    with db.session() as session:
        assert session.scalars(select(Consent.opted_out_at)).one() == opted_out_at


def test_forged_events_get_403_and_change_nothing(
    live: Live, clock: FrozenClock, sent_email: str
) -> None:
    before = _state()
    events = [
        {
            "email": EMAIL,
            "event": "bounce",
            "sg_event_id": "forged-1",
            "type": "bounce",
            "sg_message_id": sent_email + ".filter",
            "timestamp": 0,
        }
    ]
    body = json.dumps(events).encode()
    stamp = str(int(clock.current.timestamp()))  # fresh: only the signature is wrong
    someone_else = ec.generate_private_key(ec.SECP256R1())
    assert (
        live.sandbox.post_events(
            events, timestamp=stamp, signature=sign_events(someone_else, stamp, body)
        )
        == 403
    )
    genuine = sign_events(live.sandbox.event_key, stamp, body)
    tampered = body.replace(b"bounce", b"delivered", 1)
    assert live.sandbox.post_events([], timestamp=stamp, signature=genuine, body=tampered) == 403
    assert live.sandbox.post_events(events, timestamp=stamp, signature="") == 403
    assert live.sandbox.post_events(events, timestamp=stamp, signature="bm90IGEgc2ln") == 403
    assert _state() == before


def test_signed_but_stale_events_are_a_replay_and_get_403(
    live: Live, clock: FrozenClock, sent_email: str
) -> None:
    before = _state()
    old = str(int(clock.current.timestamp()) - 6 * 60)
    assert (
        live.sandbox.post_events([live.sandbox.event(sent_email, "bounce")], timestamp=old) == 403
    )
    assert _state() == before


def test_signed_but_malformed_body_gets_400_naming_the_problem(live: Live, sent_email: str) -> None:
    assert live.sandbox.post_events([{"event": "delivered"}]) == 400
    assert live.sandbox.post_events([], body=b"{not json") == 400
    assert _state()[2] == 0


def test_sandbox_posts_processed_and_delivered_by_itself_when_asked(
    live: Live, clock: FrozenClock
) -> None:
    live.sandbox.auto_callbacks = True
    with db.session() as session:
        make_survey(session, onboarding_days=[3])
        make_contractor(session, email=EMAIL, channel="email", start_date=date(2026, 2, 27))
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()
    live.sandbox.stop()  # waits for what it was posting
    assert _state()[:3] == ("delivered", "delivered", 2)
