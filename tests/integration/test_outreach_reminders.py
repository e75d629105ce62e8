"""One reminder to non-responders after 48 h; never after a reply, an expiry or an opt-out."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import consent
from outreach.delivery import due_reminder_ids, send_reminder
from outreach.models import Invitation
from outreach.schedule import expire_stale, plan_invitations
from tests.conftest import FrozenClock
from tests.factories import make_contractor, make_message
from tests.fakes import FakeChannel
from tests.outreach_helpers import SENDERS, make_survey, send

AFTER = timedelta(hours=48)
STALE = timedelta(days=2)
PHONE = "+12125550147"


@pytest.fixture
def channels() -> dict[str, FakeChannel]:
    return {"sms": FakeChannel("sms"), "email": FakeChannel("email")}


@pytest.fixture
def invitation(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> Invitation:
    """Sent Monday 10:00 in New York."""
    make_survey(session, onboarding_days=[3], sms_template="Hi {first_name}, 1-{scale_max}?")
    make_contractor(session, name="Rosa Diaz", phone=PHONE, start_date=date(2026, 2, 27))
    session.commit()
    plan_invitations(session)
    session.commit()
    invitation = session.scalars(select(Invitation)).one()
    assert send(session, invitation.id, channels) == "sent"
    return invitation


def _remind(session: Session, invitation: Invitation, channels: dict[str, FakeChannel]) -> bool:
    return send_reminder(
        session, invitation.id, channels, senders=SENDERS, reply_domain="reply.example.com"
    )


def test_one_reminder_goes_48_hours_after_the_invitation_and_never_again(
    session: Session, clock: FrozenClock, invitation: Invitation, channels: dict[str, FakeChannel]
) -> None:
    clock.advance(hours=47)
    assert due_reminder_ids(session, after=AFTER, stale=STALE) == []
    clock.advance(hours=1)  # Wednesday 10:00 in New York
    assert due_reminder_ids(session, after=AFTER, stale=STALE) == [invitation.id]
    assert _remind(session, invitation, channels)
    assert [m.body for m in channels["sms"].sent] == ["Hi Rosa, 1-5?", "Reminder: Hi Rosa, 1-5?"]
    assert due_reminder_ids(session, after=AFTER, stale=STALE) == []
    assert not _remind(session, invitation, channels)
    assert len(channels["sms"].sent) == 2


def test_reminder_delay_is_configurable(
    session: Session, clock: FrozenClock, invitation: Invitation
) -> None:
    clock.advance(hours=24)
    assert due_reminder_ids(session, after=timedelta(hours=24), stale=STALE) == [invitation.id]
    assert due_reminder_ids(session, after=AFTER, stale=STALE) == []


def test_reminder_waits_for_the_send_window(
    session: Session, clock: FrozenClock, invitation: Invitation
) -> None:
    clock.advance(hours=48 + 10)  # Wednesday 20:00 in New York
    assert due_reminder_ids(session, after=AFTER, stale=STALE) == []
    clock.advance(hours=13)  # Thursday 09:00
    assert due_reminder_ids(session, after=AFTER, stale=STALE) == [invitation.id]


def test_no_reminder_once_it_would_be_stale(
    session: Session, clock: FrozenClock, invitation: Invitation
) -> None:
    clock.advance(days=4, hours=1)
    assert due_reminder_ids(session, after=AFTER, stale=STALE) == []


def test_no_reminder_after_a_reply_even_one_not_yet_read(
    session: Session, clock: FrozenClock, invitation: Invitation, channels: dict[str, FakeChannel]
) -> None:
    clock.advance(hours=2)
    make_message(session, from_address=PHONE, body="4 all good")  # stored, not processed yet
    session.commit()
    clock.advance(hours=46)
    assert not _remind(session, invitation, channels)
    assert len(channels["sms"].sent) == 1


def test_no_reminder_for_an_answered_invitation(
    session: Session, clock: FrozenClock, invitation: Invitation
) -> None:
    invitation.status = "answered"
    session.commit()
    clock.advance(hours=48)
    assert due_reminder_ids(session, after=AFTER, stale=STALE) == []


def test_no_reminder_after_an_opt_out(
    session: Session, clock: FrozenClock, invitation: Invitation, channels: dict[str, FakeChannel]
) -> None:
    clock.advance(hours=48)
    consent.record_opt_out(session, PHONE, "sms", source="keyword")
    session.commit()
    assert not _remind(session, invitation, channels)
    assert len(channels["sms"].sent) == 1


def test_no_reminder_for_an_invitation_that_expired(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    make_survey(session, onboarding_days=[3], weekdays_only=True)
    make_contractor(session, start_date=date(2026, 3, 4))  # due on a Saturday: expires
    session.commit()
    clock.advance(days=5)
    plan_invitations(session)
    clock.advance(days=3)
    assert expire_stale(session) == 1
    session.commit()
    clock.advance(days=2)
    assert due_reminder_ids(session, after=AFTER, stale=STALE) == []
