"""The contact rules where invitations are sent: the global contact rule across surveys and
campaigns, and the state quiet hours, on a patched clock. A deferred or skipped invitation
says why."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from core.config import Settings
from outreach.delivery import queue_staff_message, send_staff_message
from outreach.models import Campaign, HoldReason, Invitation
from outreach.schedule import plan_invitations
from tests.conftest import FrozenClock
from tests.factories import make_contractor, make_staff_user
from tests.fakes import FakeChannel
from tests.outreach_helpers import SENDERS, make_invitation, make_survey, send

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, contact_limit_per_30_days=2)


@pytest.fixture
def channels() -> dict[str, FakeChannel]:
    return {"sms": FakeChannel("sms"), "email": FakeChannel("email")}


def _at(clock: FrozenClock, day: date, hour: int, zone: ZoneInfo = NEW_YORK) -> None:
    clock.set(datetime(day.year, day.month, day.day, hour, tzinfo=zone))


def test_contact_rule_across_two_surveys_and_a_campaign_skips_the_third_and_says_why(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    contractor = make_contractor(session, start_date=date(2026, 2, 1))
    onboarding, pulse, check_in = (
        make_survey(session, onboarding_days=[]),
        make_survey(session, onboarding_days=[]),
        make_survey(session, onboarding_days=[], key="acme-check-in"),
    )
    staff = make_staff_user(session)
    _at(clock, date(2026, 3, 2), 10)
    first = make_invitation(session, onboarding, contractor.id, due_on=date(2026, 3, 2))
    session.commit()
    assert send(session, first.id, channels) == "sent"

    # Staff replies are exempt: three of them change nothing for the count.
    for _ in range(3):
        message = queue_staff_message(session, contractor.id, "sms", "Hi", staff_user_id=staff.id)
        session.commit()
        assert send_staff_message(session, message.id, channels, sender=SENDERS["sms"]) != (
            "scheduled"
        )

    _at(clock, date(2026, 3, 3), 10)
    second = make_invitation(session, pulse, contractor.id, due_on=date(2026, 3, 3))
    session.commit()
    assert send(session, second.id, channels) == "sent"

    # The campaign's invitation comes from planning, as in production.
    _at(clock, date(2026, 3, 4), 10)
    session.add(Campaign(survey_id=check_in.id, name="Acme check-in", send_on=date(2026, 3, 4)))
    session.commit()
    assert plan_invitations(session, [check_in]) == 1
    session.commit()
    third = session.query(Invitation).filter_by(survey_id=check_in.id).one()
    assert send(session, third.id, channels) == "skipped"
    session.refresh(third)
    assert third.hold_reason == HoldReason.CONTACT_LIMIT
    assert len([m for m in channels["sms"].sent if m.invitation_id]) == 2


def test_contact_rule_counts_only_the_last_30_days(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    contractor = make_contractor(session)
    a, b, c = (make_survey(session) for _ in range(3))
    _at(clock, date(2026, 3, 2), 10)
    first = make_invitation(session, a, contractor.id, due_on=date(2026, 3, 2))
    session.commit()
    assert send(session, first.id, channels) == "sent"
    _at(clock, date(2026, 3, 20), 10)
    second = make_invitation(session, b, contractor.id, due_on=date(2026, 3, 20))
    session.commit()
    assert send(session, second.id, channels) == "sent"
    # 30 days and an hour after the first (New York moved its clocks on March 8): only the
    # second is inside the period.
    clock.set(datetime(2026, 4, 1, 12, tzinfo=NEW_YORK))
    third = make_invitation(
        session,
        c,
        contractor.id,
        due_on=date(2026, 4, 1),
        expires_at=datetime(2026, 4, 3, tzinfo=UTC),
    )
    session.commit()
    assert send(session, third.id, channels) == "sent"
    session.refresh(third)
    assert third.hold_reason is None


def test_contact_rule_lets_a_reminder_through_when_the_limit_is_reached(
    session: Session, clock: FrozenClock, channels: dict[str, FakeChannel]
) -> None:
    from outreach.delivery import send_reminder

    contractor = make_contractor(session)
    a, b = make_survey(session), make_survey(session)
    _at(clock, date(2026, 3, 2), 10)
    for survey in (a, b):
        invitation = make_invitation(session, survey, contractor.id)
        session.commit()
        assert send(session, invitation.id, channels) == "sent"
    clock.advance(hours=48)
    assert send_reminder(
        session, invitation.id, channels, senders=SENDERS, reply_domain="reply.example.com"
    )


@pytest.mark.parametrize(
    ("state", "zone", "local", "opens"),
    [
        # Texas, a Sunday at 10:00: deferred to noon the same day.
        ("TX", "America/Chicago", datetime(2026, 3, 8, 10), datetime(2026, 3, 8, 12)),
        # Alabama, a Sunday: deferred to Monday 08:00.
        ("AL", "America/Chicago", datetime(2026, 3, 8, 10), datetime(2026, 3, 9, 8)),
        # Kentucky, a Wednesday at 09:15: deferred to 10:00.
        ("KY", "America/New_York", datetime(2026, 3, 4, 9, 15), datetime(2026, 3, 4, 10)),
    ],
)
def test_quiet_hours_defer_an_invitation_to_the_state_opening_and_say_why(
    session: Session,
    clock: FrozenClock,
    channels: dict[str, FakeChannel],
    state: str,
    zone: str,
    local: datetime,
    opens: datetime,
) -> None:
    contractor = make_contractor(session, state=state, timezone=zone)
    survey = make_survey(session, weekdays_only=False, window_start="08:00", window_end="20:00")
    clock.set(local.replace(tzinfo=ZoneInfo(zone)))
    invitation = make_invitation(
        session, survey, contractor.id, expires_at=clock.current + timedelta(days=3)
    )
    session.commit()
    assert send(session, invitation.id, channels) == "scheduled"
    session.refresh(invitation)
    assert invitation.hold_reason == HoldReason.QUIET_HOURS
    assert invitation.not_before == opens.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert channels["sms"].sent == []
    clock.set(opens.replace(tzinfo=ZoneInfo(zone)))
    assert send(session, invitation.id, channels) == "sent"
    assert len(channels["sms"].sent) == 1
