"""Cadence invitations planned inside the database: one INSERT ... SELECT per survey.

Reading a million contractors into Python to decide who is due, then sending the rows back,
moved every row twice and held chunks of them in memory. The due rule is small arithmetic on
two dates, so the database applies it where the rows are: contractors are joined to the few
(time zone, open day, expiry) triples worked out in Python (``outreach.schedule._open_days``),
and ``ON CONFLICT DO NOTHING`` on (survey, contractor, due_on) keeps a second run, or a racing
tick, from planning anything twice. Nothing but the count comes back, so memory does not grow
with the roster.

One statement covers PLAN_CHUNK contractor ids, not the whole roster: PostgreSQL queues each
inserted row's foreign-key checks until its statement ends, so one statement for a million
contractors held two million queued checks in the server. The chunks stay in the caller's
transaction (the tick commits once, as before).

On PostgreSQL a reply token starts with the server clock in microseconds (14 hex digits) and
ends in 64 random bits (16 hex digits). Wholly random tokens landed all over their unique
index, so each insert touched a cold page of an index that grows by a million entries per
wave; clock-first tokens append at its right edge. The random part is what makes a token
unguessable, and it is as long as before; the clock part only orders them.

The rule is the one :func:`outreach.schedule._cadence_due` states; a test plans a varied roster
both ways on both databases and compares the invitations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from outreach.models import InvitationStatus

# (survey id, onboarding offsets, last onboarding offset, pulse every N days or None)
Cadence = tuple[int, frozenset[int], int, int | None]

_COLUMNS = (
    "survey_id, contractor_id, due_on, status, channel, reply_token, reminder_count, "
    "send_attempts, created_at, expires_at"
)

# What is due, given each contractor's age on the day (days since the assignment start). No
# pulse (every = 0) makes the modulo NULL, so only the onboarding days are due.
_DUE = """
    due.age_days >= 0
    AND (due.end_date IS NULL OR due.day <= due.end_date)
    AND (due.age_days IN ({onboarding})
         OR (due.age_days > :last AND (due.age_days - :last) % NULLIF(:every, 0) = 0))
"""

# A chunk of contractors is their ids after :after up to :upto (the primary key's range).
PLAN_CHUNK = 50_000

# Only the planning key may conflict: a clash on a reply token must fail loudly rather than
# silently drop that contractor's invitation.
_ON_CONFLICT = "ON CONFLICT (survey_id, contractor_id, due_on) DO NOTHING"

# PostgreSQL: the open days travel as three arrays; the random part of a reply token is 64
# bits like secrets.token_hex(8), drawn from gen_random_uuid() (the server's strong random
# source), behind the clock prefix described above.
_POSTGRESQL = f"""
WITH days AS (
    SELECT * FROM unnest(CAST(:zones AS text[]), CAST(:days AS date[]),
                         CAST(:expiries AS timestamptz[])) AS d(timezone, day, expires_at)
), due AS (
    SELECT c.id, c.channel, c.end_date, days.day, days.expires_at,
           days.day - c.start_date AS age_days
    FROM contractors AS c JOIN days ON days.timezone = c.timezone
    WHERE c.status = 'active' AND c.id > :after AND c.id <= :upto
)
INSERT INTO invitations ({_COLUMNS})
SELECT :survey_id, due.id, due.day, :status, due.channel,
       lpad(to_hex(CAST(date_part('epoch', clock_timestamp()) * 1000000 AS bigint)), 14, '0')
       || substr(md5(CAST(gen_random_uuid() AS text)), 1, 16),
       0, 0, :created_at, due.expires_at
FROM due
WHERE {_DUE.format(onboarding="SELECT unnest(CAST(:onboarding AS integer[]))")}
{_ON_CONFLICT}
"""  # noqa: S608 - made of the constants above; every value is a bound parameter

# SQLite: the open days travel as one JSON array; dates and times are stored as text in the
# exact form SQLAlchemy writes them, so comparisons and reads agree with ORM-written rows. The
# INSERT comes first (its SELECT carries the WITH), or the driver reports no row count.
_SQLITE = f"""
INSERT INTO invitations ({_COLUMNS})
WITH days AS (
    SELECT json_extract(value, '$[0]') AS timezone, json_extract(value, '$[1]') AS day,
           json_extract(value, '$[2]') AS expires_at
    FROM json_each(:days)
), due AS (
    SELECT c.id, c.channel, c.end_date, days.day, days.expires_at,
           CAST(julianday(days.day) - julianday(c.start_date) AS INTEGER) AS age_days
    FROM contractors AS c JOIN days ON days.timezone = c.timezone
    WHERE c.status = 'active' AND c.id > :after AND c.id <= :upto
)
SELECT :survey_id, due.id, due.day, :status, due.channel, lower(hex(randomblob(8))), 0, 0,
       :created_at, due.expires_at
FROM due
WHERE {_DUE.format(onboarding="SELECT value FROM json_each(:onboarding)")}
{_ON_CONFLICT}
"""  # noqa: S608 - made of the constants above; every value is a bound parameter


def _sqlite_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def plan_cadences(
    session: Session,
    cadences: list[Cadence],
    days_by_zone: Mapping[str, list[tuple[date, datetime]]],
    current: datetime,
) -> int:
    """Insert every invitation a cadence makes due on the open days, one statement per
    survey and chunk of contractor ids. Returns how many went in (those that existed already
    are skipped, and not counted)."""
    triples = [
        (timezone, day, expires_at)
        for timezone, days in days_by_zone.items()
        for day, expires_at in days
    ]
    if not triples or not cadences:
        return 0
    first, last_id = session.execute(text("SELECT min(id), max(id) FROM contractors")).one()
    if first is None:
        return 0
    dialect = session.get_bind().dialect.name
    created = 0
    for survey_id, onboarding, last, every in cadences:
        params: dict[str, object] = {
            "survey_id": survey_id,
            "status": InvitationStatus.SCHEDULED.value,
            "every": every or 0,
            "last": last,
        }
        if dialect == "postgresql":
            statement = _POSTGRESQL
            params |= {
                "zones": [t[0] for t in triples],
                "days": [t[1] for t in triples],
                "expiries": [t[2] for t in triples],
                "onboarding": sorted(onboarding),
                "created_at": current,
            }
        elif dialect == "sqlite":
            statement = _SQLITE
            params |= {
                "days": json.dumps([[z, d.isoformat(), _sqlite_time(e)] for z, d, e in triples]),
                "onboarding": json.dumps(sorted(onboarding)),
                "created_at": _sqlite_time(current),
            }
        else:
            raise NotImplementedError(f"no SQL planning for {dialect}")
        for after in range(first - 1, last_id, PLAN_CHUNK):
            chunk = params | {"after": after, "upto": after + PLAN_CHUNK}
            result = session.execute(text(statement), chunk)
            created += int(result.rowcount)  # type: ignore[attr-defined]
    return created
