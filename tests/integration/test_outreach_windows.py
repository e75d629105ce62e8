"""Send windows in the contractor's own zone: per survey, never outside 08:00-20:00 local."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from outreach.delivery import send_invitation, sendable_invitation_ids
from outreach.models import Invitation
from outreach.pacing import Pacer
from outreach.schedule import expire_stale, plan_invitations
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.fakes import FakeChannel
from tests.outreach_helpers import SENDERS, make_survey, send

# Honolulu has no DST; New York moves to EDT on Sunday 8 March 2026, London on 29 March;
# Kolkata is UTC+05:30.
ZONES = ["Pacific/Honolulu", "America/New_York", "Europe/London", "Asia/Kolkata"]


def _run(session: Session, clock: FrozenClock, until: datetime) -> list[tuple[int, datetime]]:
    """Tick every 15 minutes until ``until``, sending what may go; returns (contractor, when)."""
    channels = {"sms": FakeChannel("sms"), "email": FakeChannel("email")}
    sent: list[tuple[int, datetime]] = []
    while clock.current < until:
        plan_invitations(session)
        expire_stale(session)
        session.commit()
        for invitation_id in sendable_invitation_ids(session):
            if send(session, invitation_id, channels) == "sent":
                contractor_id = session.get_one(Invitation, invitation_id).contractor_id
                sent.append((contractor_id, now()))
        clock.advance(minutes=15)
    return sent


def test_no_send_outside_8_to_20_local_in_four_zones_across_a_dst_change(
    session: Session, clock: FrozenClock
) -> None:
    # A survey that asks for more than the law allows: the hard bounds win.
    make_survey(
        session,
        onboarding_days=[3],
        window_start="06:00",
        window_end="23:00",
        weekdays_only=False,
    )
    zone_of = {
        make_contractor(session, timezone=zone, start_date=date(2026, 3, 5)).id: zone
        for zone in ZONES
    }  # due on Sunday 8 March, the day New York springs forward
    session.commit()
    clock.set(datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    sent = _run(session, clock, datetime(2026, 3, 10, 0, 0, tzinfo=UTC))

    assert sorted(zone_of[c] for c, _ in sent) == sorted(ZONES)  # each exactly once
    for contractor_id, at in sent:
        local = at.astimezone(ZoneInfo(zone_of[contractor_id]))
        assert time(8, 0) <= local.time() < time(20, 0), (zone_of[contractor_id], local)
        assert local.date() == date(2026, 3, 8)
    first = {zone_of[c]: at for c, at in sent}
    # 08:00 local, each by its own offset on that day: EDT (UTC-4) in New York, not EST.
    assert first["America/New_York"] == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert first["Pacific/Honolulu"] == datetime(2026, 3, 8, 18, 0, tzinfo=UTC)
    assert first["Europe/London"] == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)
    assert first["Asia/Kolkata"] == datetime(2026, 3, 8, 2, 30, tzinfo=UTC)


def test_default_window_skips_the_weekend_so_a_saturday_survey_expires(
    session: Session, clock: FrozenClock
) -> None:
    make_survey(session, onboarding_days=[3])  # the model's window: weekdays 09:00-18:00
    honolulu = make_contractor(
        session, timezone="Pacific/Honolulu", start_date=date(2026, 3, 4)
    )  # due Saturday 7 March: waits for Monday, which is inside its two stale days
    session.commit()
    clock.set(datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    sent = _run(session, clock, datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    assert sent == []  # Monday 00:00 in Honolulu came before a weekday window: expired
    assert (
        session.scalars(
            select(Invitation.status).where(Invitation.contractor_id == honolulu.id)
        ).one()
        == "expired"
    )


def test_default_window_sends_at_9_local_on_a_weekday(session: Session, clock: FrozenClock) -> None:
    make_survey(session, onboarding_days=[3])
    make_contractor(session, timezone="Pacific/Honolulu", start_date=date(2026, 3, 2))
    session.commit()
    clock.set(datetime(2026, 3, 5, 0, 0, tzinfo=UTC))  # Wednesday 14:00 in Honolulu
    [(_, at)] = _run(session, clock, datetime(2026, 3, 6, 12, 0, tzinfo=UTC))
    assert at.astimezone(ZoneInfo("Pacific/Honolulu")) == datetime(
        2026, 3, 5, 9, 0, tzinfo=ZoneInfo("Pacific/Honolulu")
    )


def test_send_whose_turn_comes_after_the_window_closed_is_held_for_the_next_window(
    session: Session, clock: FrozenClock, redis_conn: redis.Redis
) -> None:
    make_survey(
        session,
        onboarding_days=[3],
        window_start="09:00",
        window_end="20:00",
        weekdays_only=False,
    )
    make_contractor(session, start_date=date(2026, 2, 27))
    session.commit()
    clock.set(datetime(2026, 3, 3, 0, 59, tzinfo=UTC))  # 19:59 in New York
    plan_invitations(session)
    session.commit()
    [invitation_id] = sendable_invitation_ids(session)
    pacer = Pacer(redis_conn, 1)
    assert pacer.try_acquire(SENDERS["sms"], 1) == 0.0  # the sender's second is taken
    channels = {"sms": FakeChannel("sms"), "email": FakeChannel("email")}
    status = send_invitation(
        session,
        invitation_id,
        channels,
        senders=SENDERS,
        reply_domain="r.example.com",
        pacer=pacer,
        heartbeat=lambda: clock.advance(seconds=30),  # the clock runs on while it waits
    )
    assert status == "scheduled"  # 20:00 came before its turn: held, not sent
    assert channels["sms"].sent == []
    assert session.get_one(Invitation, invitation_id).not_before is not None
