"""Consent is read when a message goes, on every path: STOP, 21610 and plain-language
opt-outs all stop texts that were planned before them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from rq import Queue
from sqlalchemy import select

from core.db import db
from outreach import consent
from outreach.models import Consent, Invitation
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.integration.conftest import Live
from tests.outreach_helpers import make_survey

PHONE = "+12125550147"
EMAIL = "rosa@example.com"


def _seed(**contractor: object) -> None:
    with db.session() as session:
        make_survey(session, onboarding_days=[3, 4])
        values: dict[str, object] = {
            "phone": PHONE,
            "email": EMAIL,
            "start_date": date(2026, 2, 27),
        }
        make_contractor(session, **{**values, **contractor})


def _tick(live: Live) -> None:
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()


def _statuses() -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Invitation.status).order_by(Invitation.id)))


@pytest.mark.parametrize("reply", ["STOP", "stop", "Stop texting me", "remove me from this list"])
def test_opt_out_after_planning_stops_the_planned_text(
    live: Live, clock: FrozenClock, reply: str
) -> None:
    _seed()
    clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))  # 06:00 in New York: planned, waiting
    _tick(live)
    assert _statuses() == ["scheduled"]
    assert live.sandbox.reply(PHONE, reply) == 200
    live.work()
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 10:00: inside the window
    _tick(live)
    assert live.sandbox.sms() == []
    assert _statuses() == ["skipped"]


def test_opt_in_after_stop_lets_the_next_survey_go(live: Live, clock: FrozenClock) -> None:
    _seed()
    assert live.sandbox.reply(PHONE, "STOP") == 200
    _tick(live)
    assert live.sandbox.sms() == []
    assert live.sandbox.reply(PHONE, "START") == 200
    clock.advance(days=1)  # day 4 is due
    _tick(live)
    assert [m["to"] for m in live.sandbox.sms()] == [PHONE]


def test_21610_records_the_opt_out_and_nothing_is_sent_to_that_number_again(
    live: Live, clock: FrozenClock
) -> None:
    _seed(email=None)
    live.sandbox.fail_next(code=21610)
    _tick(live)
    with db.session() as session:
        stored = session.scalars(select(Consent)).one()
        assert (stored.address, stored.source, stored.opted_out) == (PHONE, "21610", True)
    assert _statuses() == ["skipped"]
    clock.advance(days=1)
    _tick(live)
    assert _statuses() == ["skipped", "skipped"]
    assert live.sandbox.sms() == []
    assert len(live.sandbox.rejected()) == 1  # never retried, never tried again


def test_opt_out_by_text_also_stops_email_surveys(live: Live, clock: FrozenClock) -> None:
    _seed(channel="email")
    assert live.sandbox.reply(PHONE, "STOP") == 200
    _tick(live)
    assert live.sandbox.emails() == [] and live.sandbox.sms() == []
    assert _statuses() == ["skipped"]


def test_bad_number_falls_back_to_email_through_the_real_providers(
    live: Live, clock: FrozenClock
) -> None:
    _seed()
    live.sandbox.fail_next(code=21211)
    _tick(live)
    [email] = live.sandbox.emails()
    assert email["to"] == EMAIL
    with db.session() as session:
        assert not consent.may_contact(session, PHONE)
        invitation = session.scalars(select(Invitation)).one()
        assert (invitation.status, invitation.channel) == ("sent", "email")
