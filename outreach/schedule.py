"""When surveys fall due, and when a contractor may be messaged: always in their own zone."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import now
from core.db import insert_ignoring_duplicates
from outreach.models import Contractor
from surveys.models import Invitation, InvitationStatus, Survey

# No setting can widen these: the strictest US state rules (Florida, Oklahoma) end at 8 pm.
HARD_START = time(8, 0)
HARD_END = time(20, 0)
DEFAULT_STALE_DAYS = 2


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def send_window(survey: Survey) -> tuple[time, time]:
    """The survey's local window, clamped to the hard 08:00-20:00 bounds."""
    start = max(_parse_hhmm(survey.window_start), HARD_START)
    end = min(_parse_hhmm(survey.window_end), HARD_END)
    return start, end


def in_send_window(at: datetime, timezone: str, survey: Survey) -> bool:
    local = at.astimezone(zone(timezone))
    if survey.weekdays_only and local.weekday() >= 5:
        return False
    start, end = send_window(survey)
    return start <= local.time() < end


def in_hard_window(at: datetime, timezone: str) -> bool:
    """Inside 08:00-20:00 in the contractor's zone, any day: the bound for every message."""
    return HARD_START <= at.astimezone(zone(timezone)).time() < HARD_END


def local_today(timezone: str, at: datetime | None = None) -> date:
    return (at or now()).astimezone(zone(timezone)).date()


def is_due(survey: Survey, start: date, end: date | None, day: date) -> bool:
    """Onboarding offsets from the assignment start, then a pulse every N days to the end."""
    offset = (day - start).days
    if offset < 0 or (end is not None and day > end):
        return False
    onboarding = survey.onboarding_days or []
    if offset in onboarding:
        return True
    every = survey.pulse_every_days
    last = max(onboarding, default=0)
    return every is not None and every > 0 and offset > last and (offset - last) % every == 0


def due_dates(survey: Survey, start: date, end: date | None, until: date) -> Iterator[date]:
    day = start
    while day <= until and (end is None or day <= end):
        if is_due(survey, start, end, day):
            yield day
        day += timedelta(days=1)


def expiry(due_on: date, timezone: str, stale_days: int = DEFAULT_STALE_DAYS) -> datetime:
    """Local midnight ``stale_days`` after the due date: after that a survey would arrive late."""
    local_midnight = datetime.combine(due_on + timedelta(days=stale_days), time(0), zone(timezone))
    return local_midnight.astimezone(UTC)


def plan_invitations(
    session: Session,
    surveys: Iterable[Survey] | None = None,
    stale_days: int = DEFAULT_STALE_DAYS,
) -> int:
    """Create the invitations due now for every active contractor. Safe to run again.

    Returns the number of invitations created; existing ones are left as they are.
    """
    surveys = list(
        surveys
        if surveys is not None
        else session.scalars(select(Survey).where(Survey.active.is_(True)))
    )
    if not surveys:
        return 0
    current = now()
    contractors = session.execute(
        select(
            Contractor.id,
            Contractor.timezone,
            Contractor.start_date,
            Contractor.end_date,
            Contractor.channel,
        ).where(Contractor.status == "active")
    ).all()
    rows = []
    for contractor_id, timezone, start, end, channel in contractors:
        today = local_today(timezone, current)
        for survey in surveys:
            # Look back over the stale window so a missed tick (a restart) loses nothing.
            for back in range(stale_days):
                day = today - timedelta(days=back)
                if not is_due(survey, start, end, day):
                    continue
                expires_at = expiry(day, timezone, stale_days)
                if expires_at <= current:
                    continue
                rows.append(
                    {
                        "survey_id": survey.id,
                        "contractor_id": contractor_id,
                        "due_on": day,
                        "status": InvitationStatus.SCHEDULED.value,
                        "channel": channel,
                        "reply_token": secrets.token_hex(8),
                        "reminder_count": 0,
                        "created_at": current,
                        "expires_at": expires_at,
                    }
                )
    if not rows:
        return 0
    table = Invitation.__table__
    stmt = insert_ignoring_duplicates(table, session.get_bind().dialect.name)
    result = session.execute(stmt.returning(table.c.id), rows)
    return len(result.all())


def expire_stale(session: Session) -> int:
    """Scheduled invitations that can no longer go out in time expire instead of going late."""
    current = now()
    result = session.execute(
        update(Invitation)
        .where(Invitation.status == InvitationStatus.SCHEDULED, Invitation.expires_at <= current)
        .values(status=InvitationStatus.EXPIRED, status_changed_at=current)
    )
    return result.rowcount  # type: ignore[attr-defined]
