"""Planning cadences in SQL plans exactly what the chunked Python path plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from outreach import planning_sql
from outreach.consent import record_opt_out
from outreach.models import Invitation
from outreach.schedule import plan_invitations
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.outreach_helpers import make_survey

ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Pacific/Kiritimati",  # UTC+14: already tomorrow
    "Asia/Kolkata",  # a half-hour zone
    "Europe/London",
]
FIRST_DAY = date(2026, 3, 1)


def _roster(session: Session) -> None:
    """Assignments that start before, on and after the planning days, some ended, some ending
    during them, one ended by status, a few opted out (planning ignores consent: the send
    checks it), across zones on both sides of the date line."""
    n = 0
    for zone in ZONES:
        for days_before in (-2, 0, 1, 3, 4, 13, 14, 29, 30, 44, 45, 52, 75, 96, 105, 400):
            start = FIRST_DAY - timedelta(days=days_before)
            for end in (None, FIRST_DAY + timedelta(days=2), FIRST_DAY - timedelta(days=1)):
                n += 1
                contractor = make_contractor(
                    session,
                    timezone=zone,
                    start_date=start,
                    end_date=end,
                    channel="email" if n % 3 == 0 else "sms",
                    status="ended" if n % 17 == 0 else "active",
                )
                if n % 11 == 0:
                    record_opt_out(session, contractor.phone, "sms", source="keyword")
    session.commit()


def _planned(session: Session) -> list[tuple[object, ...]]:
    """Every planned invitation as a comparable tuple (reply tokens are random either way, and
    shaped differently on PostgreSQL: see _assert_tokens)."""
    return sorted(
        (
            i.survey_id,
            i.contractor_id,
            i.due_on,
            i.status,
            i.channel,
            i.reminder_count,
            i.send_attempts,
            i.created_at,
            i.expires_at,
            i.not_before,
            i.sent_at,
        )
        for i in session.scalars(select(Invitation))
    )


def _plan_days(session: Session, clock: FrozenClock, *, in_sql: bool) -> list[int]:
    clock.set(datetime(2026, 3, 1, 3, 30, tzinfo=UTC))
    counts = []
    for _ in range(8):  # every 9 hours over three days: local dates move at different times
        counts.append(plan_invitations(session, in_sql=in_sql))
        session.commit()
        clock.advance(hours=9)
    return counts


def _assert_tokens(session: Session) -> None:
    """Unique; 16 random hex digits, after (on PostgreSQL) a 14-digit clock prefix that never
    goes down in the order the invitations were planned, so the token index grows at one end."""
    tokens = session.scalars(select(Invitation.reply_token).order_by(Invitation.id)).all()
    assert len(set(tokens)) == len(tokens)
    assert all(int(token, 16) >= 0 and token == token.lower() for token in tokens)
    if session.get_bind().dialect.name != "postgresql":
        assert {len(token) for token in tokens} == {16}
        return
    assert {len(token) for token in tokens} == {30}
    prefixes = [token[:14] for token in tokens]
    assert prefixes == sorted(prefixes)
    assert len({token[14:] for token in tokens}) == len(tokens)


# The default covers the roster in one statement per survey; 10 cuts it into 29 id ranges.
@pytest.mark.parametrize("chunk", [planning_sql.PLAN_CHUNK, 10])
def test_plan_invitations_in_sql_plans_the_same_invitations_as_python_and_nothing_twice(
    session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(planning_sql, "PLAN_CHUNK", chunk)
    make_survey(session, onboarding_days=[3, 14, 30, 45], pulse_every_days=30)
    make_survey(session, onboarding_days=[], pulse_every_days=7)
    make_survey(session, onboarding_days=[0, 1, 4], pulse_every_days=None)
    _roster(session)

    python_counts = _plan_days(session, clock, in_sql=False)
    by_python = _planned(session)
    session.execute(delete(Invitation))
    session.commit()
    sql_counts = _plan_days(session, clock, in_sql=True)
    by_sql = _planned(session)

    assert len(by_python) > 100  # the roster makes many invitations due, in every zone
    assert by_sql == by_python
    assert sql_counts == python_counts
    _assert_tokens(session)
    # A second run plans nothing new, by either path, and changes nothing.
    assert _plan_days(session, clock, in_sql=True) == [0] * 8
    assert _plan_days(session, clock, in_sql=False) == [0] * 8
    assert _planned(session) == by_sql
