"""Provider refusals through the real SDKs and the sandbox: backoff with jitter, Retry-After,
a bound on attempts, and no blind retry when the provider may have taken the message."""

from __future__ import annotations

import dataclasses
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import db
from core.queue import queues
from outreach.channels import Channel, channels_for
from outreach.channels.twilio_sms import TwilioSMS
from outreach.delivery import MAX_SEND_ATTEMPTS, send_invitation, sendable_invitation_ids
from outreach.models import Invitation, Message
from outreach.pacing import Pacer
from outreach.recovery import finders_for, recover_lost_sends
from outreach.schedule import plan_invitations
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.integration.conftest import Live
from tests.outreach_helpers import SENDERS, make_survey

PHONE = "+12125550147"


def _settings(live: Live) -> Settings:
    settings: Settings = live.app.config["SETTINGS"]
    return settings


@pytest.fixture
def invitation_id(live: Live, clock: FrozenClock) -> int:
    with db.session() as session:
        make_survey(
            session,
            onboarding_days=[3],
            window_start="08:00",
            window_end="20:00",
            weekdays_only=False,
        )
        make_contractor(session, phone=PHONE, email=None, start_date=date(2026, 2, 27))
        session.flush()
        plan_invitations(session)
    with db.session() as session:
        return session.scalars(select(Invitation.id)).one()


def _send(session: Session, invitation_id: int, channels: dict[str, Channel], live: Live) -> str:
    return send_invitation(
        session,
        invitation_id,
        channels,
        senders=SENDERS,
        reply_domain="r.example.com",
        pacer=Pacer(queues.connection, 50),
    )


def test_rate_limited_send_honours_retry_after_for_the_whole_sender(
    live: Live, clock: FrozenClock, invitation_id: int
) -> None:
    channels = channels_for(_settings(live))
    live.sandbox.fail_next(code=20429, retry_after=2)
    with db.session() as session:
        assert _send(session, invitation_id, channels, live) == "scheduled"
        invitation = session.get_one(Invitation, invitation_id)
        assert invitation.not_before is not None
        assert (invitation.not_before - clock.current).total_seconds() == 2.0
        assert sendable_invitation_ids(session) == []
    assert queues.connection.pttl(f"pulse:pace:pause:{SENDERS['sms']}") > 0  # sender paused
    clock.advance(seconds=3)
    with db.session() as session:
        assert sendable_invitation_ids(session) == [invitation_id]
        assert _send(session, invitation_id, channels, live) == "sent"
    assert len(live.sandbox.sms()) == 1


def test_server_error_backs_off_with_jitter_under_the_exponential_ceiling(
    live: Live, clock: FrozenClock, invitation_id: int
) -> None:
    channels = channels_for(_settings(live))
    live.sandbox.fail_next(status=500)
    with db.session() as session:
        assert _send(session, invitation_id, channels, live) == "scheduled"
        invitation = session.get_one(Invitation, invitation_id)
        assert invitation.not_before is not None
        assert timedelta(0) <= invitation.not_before - clock.current <= timedelta(seconds=30)
        assert invitation.send_attempts == 1


def test_retries_are_bounded_then_the_invitation_fails(
    live: Live, clock: FrozenClock, invitation_id: int
) -> None:
    channels = channels_for(_settings(live))
    live.sandbox.fail_next(MAX_SEND_ATTEMPTS + 2, status=503)
    statuses = []
    for _ in range(MAX_SEND_ATTEMPTS + 2):
        with db.session() as session:
            statuses.append(_send(session, invitation_id, channels, live))
        clock.advance(hours=1)
    assert statuses[: MAX_SEND_ATTEMPTS - 1] == ["scheduled"] * (MAX_SEND_ATTEMPTS - 1)
    assert statuses[MAX_SEND_ATTEMPTS - 1 :] == ["failed"] * 3
    assert len(live.sandbox.rejected()) == MAX_SEND_ATTEMPTS


def test_refused_connection_is_certain_so_the_send_is_simply_retried(
    live: Live, clock: FrozenClock, invitation_id: int
) -> None:
    nowhere = dataclasses.replace(_settings(live), sandbox_url="http://127.0.0.1:9")
    with db.session() as session:
        assert _send(session, invitation_id, channels_for(nowhere), live) == "scheduled"


def test_timeout_is_not_retried_blindly_and_recovery_finds_the_message_at_the_provider(
    live: Live, clock: FrozenClock, invitation_id: int
) -> None:
    settings = _settings(live)
    channels: dict[str, Channel] = {
        **channels_for(settings),
        "sms": TwilioSMS(settings, timeout=0.3),
    }
    live.sandbox.delay_next(seconds=1.0)  # the provider takes it, but answers too late
    with db.session() as session:
        assert _send(session, invitation_id, channels, live) == "sending"
    deadline = time.monotonic() + 5
    while not live.sandbox.sms() and time.monotonic() < deadline:
        time.sleep(0.05)
    [accepted] = live.sandbox.sms()
    clock.advance(minutes=6)
    with db.session() as session:
        counts = recover_lost_sends(session, finders_for(channels), after=timedelta(minutes=5))
    assert counts == {"sent": 1, "resend": 0, "failed": 0}
    with db.session() as session:
        message = session.scalars(select(Message)).one()
        assert message.provider_id == accepted["sid"]
        assert session.get_one(Invitation, invitation_id).status == "sent"
        assert sendable_invitation_ids(session) == []
    assert len(live.sandbox.sms()) == 1


def test_sendgrid_rate_limit_holds_every_email_from_that_sender_until_its_reset(
    live: Live, clock: FrozenClock
) -> None:
    with db.session() as session:
        make_survey(session, onboarding_days=[3], weekdays_only=False)
        for n in range(2):
            make_contractor(
                session, email=f"c{n}@example.com", channel="email", start_date=date(2026, 2, 27)
            )
        session.flush()
        plan_invitations(session)
    with db.session() as session:
        first, second = session.scalars(select(Invitation.id).order_by(Invitation.id)).all()
    channels = channels_for(_settings(live))
    live.sandbox.fail_next(status=429, retry_after=2, channel="email")
    with db.session() as session:
        assert _send(session, first, channels, live) == "scheduled"
        assert _send(session, second, channels, live) == "scheduled"  # held, not tried
    assert len(live.sandbox.rejected()) == 1 and live.sandbox.emails() == []
