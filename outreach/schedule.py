"""When surveys fall due, and when a contractor may be messaged: always in their own zone."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from core.clock import now
from core.db import insert_rows_ignoring_duplicates
from outreach import planning_sql, quiet_hours
from outreach.campaigns import Segment
from outreach.models import Campaign, Contractor, Invitation, InvitationStatus, Survey

# No setting can widen these: the strictest US state rules (Florida, Oklahoma) end at 8 pm.
HARD_START = time(8, 0)
HARD_END = time(20, 0)
DEFAULT_STALE_DAYS = 2
PLAN_CHUNK = 20_000


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


def in_send_window(
    at: datetime, timezone: str, survey: Survey, *, state: str | None = None
) -> bool:
    """Inside the survey's window and, when the contractor's state is known, its quiet-hours
    rules (outreach.quiet_hours)."""
    if state is not None and not quiet_hours.permits(at, timezone, state):
        return False
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
    if _before_end_due(survey.days_before_end, end, day):
        return True
    return _cadence_due(offset, *_due_offsets(survey))


def _before_end_due(days_before_end: int | None, end: date | None, day: date) -> bool:
    return days_before_end is not None and end is not None and (end - day).days == days_before_end


def _cadence_due(offset: int, onboarding: frozenset[int], last: int, every: int | None) -> bool:
    return offset in onboarding or (
        every is not None and offset > last and (offset - last) % every == 0
    )


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


def _due_offsets(survey: Survey) -> tuple[frozenset[int], int, int | None]:
    onboarding = frozenset(survey.onboarding_days or [])
    return onboarding, max(onboarding, default=0), survey.pulse_every_days or None


def plan_invitations(
    session: Session,
    surveys: Iterable[Survey] | None = None,
    stale_days: int = DEFAULT_STALE_DAYS,
    *,
    in_sql: bool = True,
) -> int:
    """Create the invitations due now, by cadence and by campaign, for every active
    contractor. Safe to run again: existing ones are left as they are.

    Built for a roster of a million: dates are worked out once per time zone and the due rule
    once per survey. Cadences are planned inside the database (:mod:`outreach.planning_sql`,
    one INSERT ... SELECT per survey) unless ``in_sql`` is False; campaigns, and cadences
    without ``in_sql``, read the roster in chunks of PLAN_CHUNK contractors (by id), each
    chunk's rows going to the database in one bulk insert that skips duplicates, so memory
    stays the same whatever the roster's size. Returns the number of invitations created.
    """
    surveys = list(
        surveys
        if surveys is not None
        else session.scalars(select(Survey).where(Survey.active.is_(True)))
    )
    if not surveys:
        return 0
    current = now()
    active = Contractor.status == "active"
    zones = set(session.scalars(select(Contractor.timezone).where(active).distinct()))
    days_by_zone = _open_days(zones, current, stale_days)
    earliest = min((d for days in days_by_zone.values() for d, _ in days), default=None)
    if earliest is None:
        return 0
    by_survey = {survey.id: survey for survey in surveys}
    cadences = [(survey.id, *_due_offsets(survey)) for survey in surveys]
    created = 0
    if in_sql:
        created = planning_sql.plan_cadences(session, cadences, days_by_zone, current)
        cadences = []
    plan = _Plan(
        days_by_zone=days_by_zone,
        cadences=cadences,
        segments=_campaign_segments(session, by_survey, earliest),
        current=current,
        before_end=[(s.id, s.days_before_end) for s in surveys if s.days_before_end is not None],
    )
    if not plan.cadences and not plan.segments and not plan.before_end:
        return created
    after = 0
    while True:
        contractors = session.execute(
            select(
                Contractor.id,
                Contractor.timezone,
                Contractor.start_date,
                Contractor.end_date,
                Contractor.channel,
                Contractor.client,
                Contractor.account_manager,
            )
            .where(active, Contractor.id > after)
            .order_by(Contractor.id)
            .limit(PLAN_CHUNK)
        ).all()
        if not contractors:
            return created
        first, after = contractors[0].id, contractors[-1].id
        # What exists already is skipped here, so the count is exact; the insert still
        # ignores duplicates, should two ticks ever race.
        rows = plan.rows(contractors, _existing(session, by_survey, earliest, first, after))
        created += insert_rows_ignoring_duplicates(session, Invitation.__table__, rows)


@dataclass(frozen=True)
class _Plan:
    """What decides a contractor's due invitations, worked out once per planning run."""

    days_by_zone: Mapping[str, list[tuple[date, datetime]]]
    cadences: list[tuple[int, frozenset[int], int, int | None]]
    segments: list[tuple[int, date, Segment]]
    current: datetime
    # (survey id, days before the assignment ends)
    before_end: list[tuple[int, int]] = field(default_factory=list)

    def rows(
        self,
        # id, time zone, start, end, channel, client, account manager
        contractors: Iterable[Row[int, str, date, date | None, str, str, str]],
        seen: set[tuple[int, int, date]],
    ) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        token = secrets.token_hex
        for contractor_id, timezone, start, end, channel, client, manager in contractors:
            for day, expires_at in self.days_by_zone[timezone]:
                if day < start or (end is not None and day > end):
                    continue
                offset = (day - start).days
                due = [
                    survey_id
                    for survey_id, onboarding, last, every in self.cadences
                    if _cadence_due(offset, onboarding, last, every)
                ]
                due += [
                    survey_id
                    for survey_id, days in self.before_end
                    if _before_end_due(days, end, day)
                ]
                due += [
                    survey_id
                    for survey_id, send_on, segment in self.segments
                    if send_on == day and segment.matches(client, manager, start, end, day)
                ]
                for survey_id in due:
                    key = (survey_id, contractor_id, day)
                    if key in seen:
                        continue  # exists, or due by cadence and by campaign on one day: once
                    seen.add(key)
                    rows.append(
                        {
                            "survey_id": survey_id,
                            "contractor_id": contractor_id,
                            "due_on": day,
                            "status": InvitationStatus.SCHEDULED.value,
                            "channel": channel,
                            "reply_token": token(8),
                            "reminder_count": 0,
                            "send_attempts": 0,
                            "created_at": self.current,
                            "expires_at": expires_at,
                        }
                    )
        return rows


def _open_days(
    timezones: Iterable[str], current: datetime, stale_days: int
) -> dict[str, list[tuple[date, datetime]]]:
    """Days that may still go out in each zone: today and the stale window behind it (so a
    missed tick, a restart, loses nothing), with their expiry."""
    days_by_zone: dict[str, list[tuple[date, datetime]]] = {}
    for timezone in timezones:
        today = local_today(timezone, current)
        days_by_zone[timezone] = []
        for back in range(stale_days):
            day = today - timedelta(days=back)
            expires_at = expiry(day, timezone, stale_days)
            if expires_at > current:
                days_by_zone[timezone].append((day, expires_at))
    return days_by_zone


def _campaign_segments(
    session: Session, by_survey: Mapping[int, Survey], earliest: date
) -> list[tuple[int, date, Segment]]:
    campaigns = session.scalars(
        select(Campaign).where(Campaign.survey_id.in_(by_survey), Campaign.send_on >= earliest)
    )
    return [(c.survey_id, c.send_on, Segment.of(c)) for c in campaigns]


def _existing(
    session: Session, by_survey: Mapping[int, Survey], earliest: date, first: int, last: int
) -> set[tuple[int, int, date]]:
    """Invitations already there for contractors ``first`` to ``last`` (ids) since ``earliest``."""
    existing = select(Invitation.survey_id, Invitation.contractor_id, Invitation.due_on).where(
        Invitation.survey_id.in_(by_survey),
        Invitation.due_on >= earliest,
        Invitation.contractor_id.between(first, last),
    )
    return {
        (survey_id, contractor_id, due_on)
        for survey_id, contractor_id, due_on in session.execute(existing)
    }


def expire_stale(session: Session) -> int:
    """Scheduled invitations that can no longer go out in time expire instead of going late."""
    current = now()
    result = session.execute(
        update(Invitation)
        .where(Invitation.status == InvitationStatus.SCHEDULED, Invitation.expires_at <= current)
        .values(status=InvitationStatus.EXPIRED, status_changed_at=current)
    )
    return result.rowcount  # type: ignore[attr-defined]
