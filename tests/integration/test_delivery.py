from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import consent
from outreach.channels import ChannelError, Failure
from outreach.delivery import (
    apply_provider_status,
    send_invitation,
    sendable_invitation_ids,
)
from outreach.models import Consent, Contractor, Invitation, Message, Survey
from outreach.schedule import plan_invitations
from tests.conftest import FrozenClock
from tests.fakes import FakeChannel

SENDERS = {"sms": "+15005550006", "email": "pulse@example.com"}


@pytest.fixture
def channels() -> dict[str, FakeChannel]:
    return {"sms": FakeChannel("sms"), "email": FakeChannel("email")}


def _setup(session: Session, **contractor: object) -> Invitation:
    session.add(
        Survey(
            key="pulse",
            name="Pulse",
            question="?",
            sms_template="Hi {first_name}, 1-{scale_max}?",
            email_subject="Hi",
            email_template="Hi {first_name}",
            onboarding_days=[3],
        )
    )
    values: dict[str, object] = {
        "external_id": "C-1",
        "name": "Rosa Diaz",
        "phone": "+12125550147",
        "email": "rosa@example.com",
        "timezone": "America/New_York",
        "channel": "sms",
        "start_date": date(2026, 2, 27),
        "client": "Acme",
        "account_manager": "Dana",
    }
    values.update(contractor)
    session.add(Contractor(**values))
    session.commit()
    assert plan_invitations(session) == 1
    session.commit()
    return session.scalars(select(Invitation)).one()


def _send(session: Session, invitation: Invitation, channels: dict[str, FakeChannel]) -> str:
    return send_invitation(
        session, invitation.id, channels, senders=SENDERS, reply_domain="reply.example.com"
    )


def test_plan_invitations_run_twice_creates_each_invitation_once(
    session: Session, clock: FrozenClock
) -> None:
    _setup(session)
    assert plan_invitations(session) == 0
    assert len(session.scalars(select(Invitation)).all()) == 1


def test_send_invitation_sends_once_even_when_called_again(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    invitation = _setup(session)
    assert _send(session, invitation, channels) == "sent"
    assert _send(session, invitation, channels) == "sent"
    assert [m.body for m in channels["sms"].sent] == ["Hi Rosa, 1-5?"]


def test_send_invitation_to_opted_out_number_sends_nothing_on_any_channel(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    invitation = _setup(session)
    consent.record_opt_out(session, "+12125550147", "sms", source="keyword")
    session.commit()
    assert _send(session, invitation, channels) == "skipped"
    assert channels["sms"].sent == [] and channels["email"].sent == []


def test_send_invitation_to_bad_number_falls_back_to_email(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    invitation = _setup(session)
    channels["sms"].fail_next(ChannelError("not mobile", failure=Failure.BAD_ADDRESS, code="21614"))
    assert _send(session, invitation, channels) == "sent"
    [email] = channels["email"].sent
    assert email.reply_to == f"reply+{invitation.reply_token}@reply.example.com"
    assert not consent.may_contact(session, "+12125550147")
    assert session.get_one(Invitation, invitation.id).channel == "email"


def test_send_invitation_after_21610_records_opt_out_and_never_retries_sms(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    invitation = _setup(session, email=None)
    channels["sms"].fail_next(ChannelError("unsubscribed", failure=Failure.OPTED_OUT, code="21610"))
    assert _send(session, invitation, channels) == "skipped"
    stored = session.scalars(select(Consent)).one()
    assert stored.opted_out and stored.source == "21610"
    assert not consent.may_contact(session, "+12125550147")


def test_send_invitation_rate_limited_goes_back_to_schedule_with_backoff(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    invitation = _setup(session)
    channels["sms"].fail_next(
        ChannelError("429", failure=Failure.RETRY, code="20429", retry_after=30)
    )
    assert _send(session, invitation, channels) == "scheduled"
    assert sendable_invitation_ids(session) == []  # not before its Retry-After
    clock.advance(seconds=31)
    assert sendable_invitation_ids(session) == [invitation.id]
    assert _send(session, invitation, channels) == "sent"
    assert len(channels["sms"].sent) == 1


def test_sendable_invitations_wait_for_the_contractors_window(
    session: Session, clock: FrozenClock
) -> None:
    invitation = _setup(session, timezone="America/Los_Angeles")
    # 15:00 UTC is 07:00 in Los Angeles: too early, under the 09:00 survey default.
    assert sendable_invitation_ids(session) == []
    clock.advance(hours=2)  # 09:00 local
    assert sendable_invitation_ids(session) == [invitation.id]


def test_status_callback_for_send_whose_worker_died_settles_it(
    session: Session, clock: FrozenClock
) -> None:
    invitation = _setup(session)
    message = Message(
        direction="outbound",
        channel="sms",
        invitation_id=invitation.id,
        from_address="+15005550006",
        to_address="+12125550147",
        body="Hi",
        status="sending",
        payload={},
    )
    invitation.status = "sending"
    session.add(message)
    session.commit()
    assert apply_provider_status(
        session, provider_id="SM1", status="delivered", message_id=message.id
    )
    session.commit()
    assert message.provider_id == "SM1"
    assert invitation.status == "delivered"


def test_staff_message_outside_window_waits_then_goes_once(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    from outreach.delivery import (
        queue_staff_message,
        send_staff_message,
        sendable_staff_message_ids,
    )

    invitation = _setup(session, timezone="America/Los_Angeles")  # 07:00 there now
    message = queue_staff_message(
        session, invitation.contractor_id, "sms", "Calling you at 10", staff_user_id=1
    )
    session.commit()
    assert sendable_staff_message_ids(session) == []
    clock.advance(hours=1)  # 08:00 local
    assert sendable_staff_message_ids(session) == [message.id]
    assert send_staff_message(session, message.id, channels, sender="+15005550006") == "queued"
    assert send_staff_message(session, message.id, channels, sender="+15005550006") == "queued"
    assert [m.body for m in channels["sms"].sent] == ["Calling you at 10"]


def test_staff_message_to_opted_out_contractor_is_suppressed(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    from outreach.delivery import queue_staff_message, send_staff_message

    invitation = _setup(session)
    message = queue_staff_message(
        session, invitation.contractor_id, "sms", "Hello", staff_user_id=1
    )
    consent.record_opt_out(session, "+12125550147", "sms", source="keyword")
    session.commit()
    assert send_staff_message(session, message.id, channels, sender="+15005550006") == "suppressed"
    assert channels["sms"].sent == []


class _CallbackFirstChannel(FakeChannel):
    """A provider so quick that its "delivered" callback is stored before send() returns."""

    def send(self, message):  # type: ignore[no-untyped-def]
        result = super().send(message)
        from core.db import db

        with db.session() as other:
            apply_provider_status(
                other,
                provider_id=result.provider_id,
                status="delivered",
                message_id=message.message_id,
            )
        return result


def test_send_invitation_keeps_a_delivered_callback_that_came_before_the_answer(
    session: Session, clock: FrozenClock
) -> None:
    invitation = _setup(session)
    channels = {"sms": _CallbackFirstChannel("sms"), "email": FakeChannel("email")}
    assert _send(session, invitation, channels) == "delivered"
    message = session.scalars(select(Message)).one()
    assert message.status == "delivered"


def test_advance_message_row_from_a_stale_copy_never_moves_the_row_back(
    session: Session, clock: FrozenClock
) -> None:
    from core.db import db
    from outreach.delivery import advance_message_row

    message = Message(
        direction="outbound",
        channel="sms",
        from_address="+15005550006",
        to_address="+12125550147",
        body="Hi",
        status="sending",
        payload={},
    )
    session.add(message)
    session.commit()
    assert message.status == "sending"  # this session's copy, about to go stale
    with db.session() as callback:  # the provider's callback, in another transaction
        assert advance_message_row(callback, message.id, "delivered")
    assert not advance_message_row(session, message.id, "accepted")
    session.commit()
    assert message.status == "delivered"


def test_staff_message_refused_for_now_keeps_its_schedule_in_typed_columns(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    from outreach.delivery import (
        queue_staff_message,
        send_staff_message,
        sendable_staff_message_ids,
    )

    invitation = _setup(session)
    message = queue_staff_message(
        session, invitation.contractor_id, "sms", "Calling you at 10", staff_user_id=1
    )
    session.commit()
    channels["sms"].fail_next(
        ChannelError("busy", failure=Failure.RETRY, code="20429", retry_after=30)
    )

    assert send_staff_message(session, message.id, channels, sender="+15005550006") == "scheduled"
    assert (message.send_attempts, message.not_before) == (1, clock.current + timedelta(seconds=30))
    assert "not_before" not in message.payload and "attempts" not in message.payload
    assert sendable_staff_message_ids(session) == []  # not before its time
    clock.advance(seconds=31)
    assert sendable_staff_message_ids(session) == [message.id]
    assert send_staff_message(session, message.id, channels, sender="+15005550006") == "queued"
