"""Cadences and campaigns: which invitations the tick creates, and when they expire."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from core.db import insert_rows_ignoring_duplicates
from outreach import schedule
from outreach.campaigns import CampaignError, Segment, create_campaign
from outreach.delivery import sendable_invitation_ids
from outreach.models import Invitation, Survey
from outreach.schedule import expire_stale, plan_invitations
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.outreach_helpers import make_survey


def _due_offsets(session: Session, contractor_id: int, start: date) -> list[int]:
    return sorted(
        (due_on - start).days
        for due_on in session.scalars(
            select(Invitation.due_on).where(Invitation.contractor_id == contractor_id)
        )
    )


def test_plan_invitations_daily_follows_onboarding_offsets_then_pulse_until_the_end(
    session: Session, clock: FrozenClock
) -> None:
    make_survey(session, onboarding_days=[3, 14, 30, 45], pulse_every_days=30)
    start, end = date(2026, 1, 1), date(2026, 5, 1)
    contractor = make_contractor(session, start_date=start, end_date=end)
    session.commit()
    clock.set(datetime(2025, 12, 20, 15, 0, tzinfo=UTC))
    while clock.current.date() <= date(2026, 6, 15):
        plan_invitations(session)
        session.commit()
        clock.advance(days=1)
    assert _due_offsets(session, contractor.id, start) == [3, 14, 30, 45, 75, 105]


def test_plan_invitations_default_cadence_is_day_3_14_30_45(
    session: Session, clock: FrozenClock
) -> None:
    session.add(
        Survey(
            key="default",
            name="d",
            question="?",
            sms_template="Hi",
            email_subject="Hi",
            email_template="Hi",
        )
    )  # no cadence given: the model's default
    start = date(2026, 1, 1)
    contractor = make_contractor(session, start_date=start)
    session.commit()
    clock.set(datetime(2026, 1, 1, 15, 0, tzinfo=UTC))
    for _ in range(60):
        plan_invitations(session)
        session.commit()
        clock.advance(days=1)
    assert _due_offsets(session, contractor.id, start) == [3, 14, 30, 45]


def test_plan_invitations_nothing_before_the_start_or_after_the_end(
    session: Session, clock: FrozenClock
) -> None:
    make_survey(session, onboarding_days=[0, 1, 2], pulse_every_days=1)
    start, end = date(2026, 3, 1), date(2026, 3, 4)
    contractor = make_contractor(session, start_date=start, end_date=end)
    session.commit()
    clock.set(datetime(2026, 2, 20, 15, 0, tzinfo=UTC))
    for _ in range(20):
        plan_invitations(session)
        session.commit()
        clock.advance(days=1)
    days = session.scalars(
        select(Invitation.due_on).where(Invitation.contractor_id == contractor.id)
    ).all()
    assert sorted(days) == [date(2026, 3, d) for d in (1, 2, 3, 4)]


def _roster(session: Session, today: date) -> dict[str, int]:
    people = {
        "in_segment": make_contractor(
            session, client="Acme", account_manager="Dana", start_date=today - timedelta(60)
        ),
        "other_client": make_contractor(
            session, client="Globex", account_manager="Dana", start_date=today - timedelta(60)
        ),
        "other_manager": make_contractor(
            session, client="Acme", account_manager="Sam", start_date=today - timedelta(60)
        ),
        "too_new": make_contractor(
            session, client="Acme", account_manager="Dana", start_date=today - timedelta(10)
        ),
        "ended": make_contractor(
            session,
            client="Acme",
            account_manager="Dana",
            start_date=today - timedelta(60),
            end_date=today - timedelta(1),
        ),
    }
    return {name: c.id for name, c in people.items()}


def test_campaign_reaches_its_segment_once_and_nobody_else(
    session: Session, clock: FrozenClock
) -> None:
    today = date(2026, 3, 2)  # the clock's day in New York
    survey = make_survey(session, key="exit-check", onboarding_days=[], pulse_every_days=None)
    ids = _roster(session, today)
    create_campaign(
        session,
        survey_key="exit-check",
        name="Acme, Dana's people, day 30-90",
        send_on=today,
        segment=Segment(
            client="acme", account_manager="Dana", tenure_min_days=30, tenure_max_days=90
        ),
        today=today,
    )
    session.commit()
    assert plan_invitations(session) == 1
    session.commit()
    assert plan_invitations(session) == 0
    [invitation] = session.scalars(select(Invitation)).all()
    assert (invitation.contractor_id, invitation.survey_id) == (ids["in_segment"], survey.id)
    assert invitation.due_on == today


def test_campaign_on_a_cadence_day_gives_one_invitation_not_two(
    session: Session, clock: FrozenClock
) -> None:
    make_survey(session, key="pulse", onboarding_days=[3])
    make_contractor(session, start_date=date(2026, 2, 27))  # day 3 is today
    create_campaign(
        session,
        survey_key="pulse",
        name="all",
        send_on=date(2026, 3, 2),
        segment=Segment(),
        today=date(2026, 3, 2),
    )
    session.commit()
    assert plan_invitations(session) == 1


def test_campaign_planned_late_within_the_stale_window_still_goes(
    session: Session, clock: FrozenClock
) -> None:
    make_survey(session, key="pulse", onboarding_days=[])
    make_contractor(session, start_date=date(2026, 1, 1))
    create_campaign(
        session,
        survey_key="pulse",
        name="all",
        send_on=date(2026, 3, 2),
        segment=Segment(),
        today=date(2026, 3, 2),
    )
    session.commit()
    clock.advance(days=1)  # the ticks of the campaign's day were missed (a restart)
    assert plan_invitations(session) == 1
    clock.advance(days=1)
    session.execute(delete(Invitation))
    assert plan_invitations(session) == 0  # past the stale window: too late to plan


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"survey_key": "nope"}, "survey"),
        ({"send_on": date(2026, 3, 1)}, "send_on"),
        ({"name": "  "}, "name"),
        ({"segment": Segment(tenure_min_days=90, tenure_max_days=30)}, "tenure"),
        ({"segment": Segment(tenure_min_days=-1)}, "tenure"),
    ],
)
def test_create_campaign_refuses_bad_input_naming_the_field(
    session: Session, overrides: dict[str, object], field: str
) -> None:
    make_survey(session, key="pulse")
    values: dict[str, object] = {
        "survey_key": "pulse",
        "name": "x",
        "send_on": date(2026, 3, 2),
        "segment": Segment(),
        "today": date(2026, 3, 2),
    }
    values.update(overrides)
    with pytest.raises(CampaignError) as caught:
        create_campaign(session, **values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_invitation_that_cannot_go_out_in_its_window_expires_instead_of_going_late(
    session: Session, clock: FrozenClock
) -> None:
    make_survey(session, onboarding_days=[3], weekdays_only=True)
    make_contractor(session, start_date=date(2026, 3, 4))  # due Saturday 7 March
    session.commit()
    clock.set(datetime(2026, 3, 7, 15, 0, tzinfo=UTC))  # Saturday 10:00 in New York
    assert plan_invitations(session) == 1
    session.commit()
    while clock.current < datetime(2026, 3, 9, 5, 0, tzinfo=UTC):  # Monday 00:00 in New York
        assert sendable_invitation_ids(session) == []  # the weekend is closed
        clock.advance(hours=1)
    assert expire_stale(session) == 1
    session.commit()
    clock.set(datetime(2026, 3, 9, 15, 0, tzinfo=UTC))  # Monday 10:00: would be two days late
    assert sendable_invitation_ids(session) == []
    assert session.scalars(select(Invitation.status)).one() == "expired"


def test_stale_days_sets_how_long_an_invitation_may_wait(
    session: Session, clock: FrozenClock
) -> None:
    make_survey(session, onboarding_days=[3])
    make_contractor(session, start_date=date(2026, 2, 27), timezone="America/Los_Angeles")
    session.commit()
    plan_invitations(session, stale_days=3)
    invitation = session.scalars(select(Invitation)).one()
    # Local midnight three days after Monday 2 March, in Los Angeles (PST, UTC-8).
    assert invitation.expires_at == datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


def test_plan_invitations_large_roster_is_planned_in_bounded_chunks_skipping_existing(
    session: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A roster far larger than memory allows is read and inserted a chunk at a time; an
    invitation that exists already, in any chunk, is not planned again."""
    monkeypatch.setattr(schedule, "PLAN_CHUNK", 2)
    survey = make_survey(session, onboarding_days=[3])
    contractors = [
        make_contractor(session, start_date=date(2026, 2, 27), timezone="America/New_York")
        for _ in range(5)
    ]
    session.commit()
    inserts: list[int] = []

    def count_insert(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO INVITATIONS"):
            inserts.append(1)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count_insert)
    try:
        assert plan_invitations(session, [survey], in_sql=False) == 5
        assert len(inserts) == 3  # a chunk (2 contractors) at a time, never the whole roster
        session.execute(delete(Invitation).where(Invitation.contractor_id == contractors[3].id))
        session.commit()
        inserts.clear()
        assert plan_invitations(session, [survey], in_sql=False) == 1  # only the one deleted
        session.commit()
        assert plan_invitations(session, [survey], in_sql=False) == 0
    finally:
        event.remove(engine, "before_cursor_execute", count_insert)
    assert len(inserts) == 1  # only the chunk that had something new
    planned = session.scalars(select(Invitation.contractor_id)).all()
    assert sorted(planned) == sorted(c.id for c in contractors)


def test_insert_rows_ignoring_duplicates_skips_existing_keys_and_counts_the_new(
    session: Session, clock: FrozenClock
) -> None:
    """Two ticks racing: rows already there are skipped without an error, and the count is
    of the rows that went in (PostgreSQL's COPY path counts exactly; SQLite counts offered)."""
    survey = make_survey(session, onboarding_days=[3])
    first = make_contractor(session, start_date=date(2026, 2, 27))
    make_contractor(session, start_date=date(2026, 2, 27))
    session.commit()
    assert plan_invitations(session, [survey]) == 2
    session.commit()
    existing = session.scalars(select(Invitation).where(Invitation.contractor_id == first.id)).one()
    row = {
        "survey_id": survey.id,
        "contractor_id": first.id,
        "due_on": existing.due_on,
        "status": "scheduled",
        "channel": "sms",
        "reply_token": "a-fresh-token",
        "reminder_count": 0,
        "send_attempts": 0,
        "created_at": clock.current,
        "expires_at": existing.expires_at,
    }
    fresh = dict(row, due_on=existing.due_on + timedelta(days=1), reply_token="another-token")
    added = insert_rows_ignoring_duplicates(session, Invitation.__table__, [row, fresh])
    session.commit()
    assert added == (1 if session.get_bind().dialect.name == "postgresql" else 2)
    tokens = set(session.scalars(select(Invitation.reply_token)))
    assert "another-token" in tokens and "a-fresh-token" not in tokens
    assert session.scalar(select(func.count()).select_from(Invitation)) == 3
