"""After a worker dies mid-send: settle on evidence, resend only what the provider never took,
and never send an invitation twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import db
from outreach.channels import Channel, OutboundMessage, channels_for
from outreach.delivery import send_invitation
from outreach.models import Invitation, Message
from outreach.recovery import finders_for, recover_lost_sends
from outreach.schedule import plan_invitations
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.integration.conftest import Live
from tests.outreach_helpers import SENDERS, make_survey

PHONE = "+12125550147"
EMAIL = "rosa@example.com"
BODY = "Hi Rosa, how is Acme? Reply 1-5. STOP to opt out."
GRACE = timedelta(minutes=5)


@pytest.fixture
def channels(live: Live) -> dict[str, Channel]:
    settings: Settings = live.app.config["SETTINGS"]
    return channels_for(settings)


def _invitation(channel: str = "sms") -> int:
    with db.session() as session:
        make_survey(session, onboarding_days=[3], weekdays_only=False)
        make_contractor(
            session,
            name="Rosa Diaz",
            client="Acme",
            phone=PHONE,
            email=EMAIL,
            channel=channel,
            start_date=date(2026, 2, 27),
        )
        session.flush()
        plan_invitations(session)
    with db.session() as session:
        return session.scalars(select(Invitation.id)).one()


def _die_after_claim(
    session: Session, invitation_id: int, *, with_message: str | None
) -> Message | None:
    """What a killed worker leaves: the invitation claimed, maybe its message row written."""
    session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id)
        .values(status="sending", status_changed_at=Invitation.created_at)
    )
    message = None
    if with_message is not None:
        invitation = session.get_one(Invitation, invitation_id)
        message = Message(
            direction="outbound",
            channel=with_message,
            contractor_id=invitation.contractor_id,
            invitation_id=invitation_id,
            from_address=SENDERS[with_message],
            to_address=PHONE if with_message == "sms" else EMAIL,
            body=BODY,
            status="sending",
            payload={},
        )
        session.add(message)
    session.commit()
    return message


def _recover(clock: FrozenClock, channels: dict[str, Channel]) -> dict[str, int]:
    clock.advance(minutes=6)
    with db.session() as session:
        return recover_lost_sends(session, finders_for(channels), after=GRACE)


def _send_all(channels: dict[str, Channel], invitation_id: int) -> str:
    with db.session() as session:
        return send_invitation(
            session, invitation_id, channels, senders=SENDERS, reply_domain="r.example.com"
        )


def test_killed_before_the_message_row_goes_back_and_is_sent_once(
    live: Live, clock: FrozenClock, channels: dict[str, Channel]
) -> None:
    invitation_id = _invitation()
    with db.session() as session:
        _die_after_claim(session, invitation_id, with_message=None)
    assert _send_all(channels, invitation_id) == "sending"  # nobody sends while it is claimed
    assert _recover(clock, channels) == {"sent": 0, "resend": 1, "failed": 0}
    assert _send_all(channels, invitation_id) == "sent"
    assert _send_all(channels, invitation_id) == "sent"
    assert len(live.sandbox.sms()) == 1


def test_killed_after_the_provider_took_it_is_found_there_and_not_resent(
    live: Live, clock: FrozenClock, channels: dict[str, Channel]
) -> None:
    invitation_id = _invitation()
    with db.session() as session:
        message = _die_after_claim(session, invitation_id, with_message="sms")
    assert message is not None
    # The provider call went through; the worker died before it could record the answer.
    result = channels["sms"].send(OutboundMessage(to=PHONE, body=BODY, message_id=message.id))
    assert _recover(clock, channels) == {"sent": 1, "resend": 0, "failed": 0}
    with db.session() as session:
        assert session.get_one(Message, message.id).provider_id == result.provider_id
        assert session.get_one(Invitation, invitation_id).status == "sent"
    assert _send_all(channels, invitation_id) == "sent"
    assert len(live.sandbox.sms()) == 1


def test_killed_before_the_provider_saw_it_is_resent_once(
    live: Live, clock: FrozenClock, channels: dict[str, Channel]
) -> None:
    invitation_id = _invitation()
    with db.session() as session:
        message = _die_after_claim(session, invitation_id, with_message="sms")
    assert message is not None
    assert _recover(clock, channels) == {"sent": 0, "resend": 1, "failed": 0}
    assert _send_all(channels, invitation_id) == "sent"
    assert len(live.sandbox.sms()) == 1
    with db.session() as session:
        assert session.get_one(Message, message.id).status == "lost"


def test_email_with_no_way_to_ask_the_provider_fails_rather_than_risk_a_second_send(
    live: Live, clock: FrozenClock, channels: dict[str, Channel]
) -> None:
    invitation_id = _invitation(channel="email")
    with db.session() as session:
        _die_after_claim(session, invitation_id, with_message="email")
    assert _recover(clock, channels) == {"sent": 0, "resend": 0, "failed": 1}
    assert _send_all(channels, invitation_id) == "failed"
    assert live.sandbox.emails() == []


def test_nothing_is_recovered_before_the_grace_period(
    live: Live, clock: FrozenClock, channels: dict[str, Channel]
) -> None:
    invitation_id = _invitation()
    with db.session() as session:
        _die_after_claim(session, invitation_id, with_message=None)
        clock.advance(minutes=4)
        assert recover_lost_sends(session, finders_for(channels), after=GRACE) == {
            "sent": 0,
            "resend": 0,
            "failed": 0,
        }


def test_provider_that_cannot_be_asked_leaves_the_send_for_the_next_tick(
    live: Live, clock: FrozenClock, channels: dict[str, Channel]
) -> None:
    invitation_id = _invitation()
    with db.session() as session:
        _die_after_claim(session, invitation_id, with_message="sms")
    live.sandbox.stop()
    assert _recover(clock, channels) == {"sent": 0, "resend": 0, "failed": 0}
    with db.session() as session:
        assert session.get_one(Invitation, invitation_id).status == "sending"


def test_answer_lost_with_its_unflushed_commit_is_found_at_the_provider_and_not_resent(
    live: Live, clock: FrozenClock, channels: dict[str, Channel], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider's answer is committed without waiting for the disk; a database crash can
    lose it. Modelled by that one commit rolling back: the claim and the message row, committed
    before the call, must be all that is left, and recovery must settle it without a resend."""
    invitation_id = _invitation()

    def crash_loses_it(session: Session) -> None:
        session.rollback()

    monkeypatch.setattr("outreach.delivery.invitations.commit_unflushed", crash_loses_it)
    _send_all(channels, invitation_id)
    monkeypatch.undo()
    [sent] = live.sandbox.sms()
    with db.session() as session:
        assert session.get_one(Invitation, invitation_id).status == "sending"
        message = session.scalars(select(Message)).one()
        assert (message.status, message.provider_id) == ("sending", None)
    assert _recover(clock, channels) == {"sent": 1, "resend": 0, "failed": 0}
    assert _send_all(channels, invitation_id) == "sent"
    assert len(live.sandbox.sms()) == 1
    with db.session() as session:
        assert session.get_one(Message, message.id).provider_id == sent["sid"]
