"""The dashboard's figures: response rate, average rating by week, open work by age. No Flask.

Any figure computed from fewer than ``MIN_RESPONDENTS`` different contractors is withheld,
so that nobody can read one person's answers off a small group (a client with two
contractors, a quiet week).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from outreach.models import Contractor, Invitation, InvitationStatus
from staff.charts import Chart, weekly_chart
from staff.inbox import start_of
from surveys.models import Alert, AlertStatus, Response, Team, Ticket, TicketStatus

MIN_RESPONDENTS = 5
WEEKS = 8
AGE_BUCKETS = (
    (timedelta(days=1), "Under 1 day"),
    (timedelta(days=3), "1 to 3 days"),
    (timedelta(days=7), "3 to 7 days"),
    (None, "Over 7 days"),
)


@dataclass(frozen=True)
class Figure:
    """One number, or the reason it is not shown."""

    value: float | None  # None: hidden, or nothing to compute it from
    respondents: int

    @property
    def hidden(self) -> bool:
        return 0 < self.respondents < MIN_RESPONDENTS

    @property
    def empty(self) -> bool:
        return self.respondents == 0


def _figure(total: float, count: int, respondents: int) -> Figure:
    if respondents < MIN_RESPONDENTS or count == 0:
        return Figure(None, respondents)
    return Figure(total / count, respondents)


@dataclass(frozen=True)
class Group:
    name: str
    response_rate: Figure  # share of sent invitations answered, 0..1
    average: Figure  # average rating out of 5 over the whole period
    weekly: list[Figure]


@dataclass(frozen=True)
class AgeRow:
    label: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Dashboard:
    weeks: list[date]
    overall: Group
    by_client: list[Group]
    by_manager: list[Group]
    age_labels: list[str]
    ages: list[AgeRow]
    client_chart: Chart
    manager_chart: Chart

    @property
    def start(self) -> date:
        return self.weeks[0]


class _Tally:
    """Sums per group: rating totals and respondents per week and overall, and invitations."""

    def __init__(self, weeks: int) -> None:
        self.rating_sum = [0.0] * weeks
        self.rating_count = [0] * weeks
        self.week_people: list[set[int]] = [set() for _ in range(weeks)]
        self.people: set[int] = set()
        self.sent = 0
        self.answered = 0
        self.answering: set[int] = set()

    def group(self, name: str) -> Group:
        weekly = [
            _figure(self.rating_sum[i], self.rating_count[i], len(self.week_people[i]))
            for i in range(len(self.rating_sum))
        ]
        average = _figure(sum(self.rating_sum), sum(self.rating_count), len(self.people))
        rate = (
            Figure(self.answered / self.sent, len(self.answering))
            if self.sent and len(self.answering) >= MIN_RESPONDENTS
            else Figure(None, len(self.answering))
        )
        return Group(name, rate, average, weekly)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def build(session: Session, today: date | None = None, weeks: int = WEEKS) -> Dashboard:
    today = today or now().date()
    first = week_start(today) - timedelta(weeks=weeks - 1)
    week_starts = [first + timedelta(weeks=i) for i in range(weeks)]
    since, until = start_of(first), start_of(today + timedelta(days=1))

    tallies: dict[tuple[str, str], _Tally] = defaultdict(lambda: _Tally(weeks))
    _tally_ratings(session, tallies, first, weeks, since, until)
    _tally_invitations(session, tallies, since, until)

    def groups(dimension: str) -> list[Group]:
        names = sorted(name for kind, name in tallies if kind == dimension)
        return [tallies[(dimension, name)].group(name) for name in names]

    by_client, by_manager = groups("client"), groups("manager")
    age_labels, ages = open_work_by_age(session)
    return Dashboard(
        weeks=week_starts,
        overall=tallies[("all", "")].group("All contractors"),
        by_client=by_client,
        by_manager=by_manager,
        age_labels=age_labels,
        ages=ages,
        client_chart=_chart("Average rating by client, per week", week_starts, by_client),
        manager_chart=_chart(
            "Average rating by account manager, per week", week_starts, by_manager
        ),
    )


def _keys(client: str, manager: str) -> Iterable[tuple[str, str]]:
    """The groups a contractor's figures count in: everyone, their client, their manager."""
    return (("all", ""), ("client", client), ("manager", manager))


def _tally_ratings(
    session: Session,
    tallies: dict[tuple[str, str], _Tally],
    first: date,
    weeks: int,
    since: datetime,
    until: datetime,
) -> None:
    ratings = session.execute(
        select(
            Response.created_at,
            Response.rating,
            Response.scale_max,
            Response.contractor_id,
            Contractor.client,
            Contractor.account_manager,
        )
        .join(Contractor, Contractor.id == Response.contractor_id)
        .where(
            Response.rating.is_not(None),
            Response.created_at >= since,
            Response.created_at < until,
        )
    )
    for at, rating, scale_max, contractor_id, client, manager in ratings:
        week = (at.date() - first).days // 7
        if rating is None or contractor_id is None or not 0 <= week < weeks:
            continue
        out_of_five = rating / scale_max * 5
        for key in _keys(client, manager):
            tally = tallies[key]
            tally.rating_sum[week] += out_of_five
            tally.rating_count[week] += 1
            tally.week_people[week].add(contractor_id)
            tally.people.add(contractor_id)


def _tally_invitations(
    session: Session, tallies: dict[tuple[str, str], _Tally], since: datetime, until: datetime
) -> None:
    invitations = session.execute(
        select(
            Invitation.status,
            Invitation.contractor_id,
            Contractor.client,
            Contractor.account_manager,
        )
        .join(Contractor, Contractor.id == Invitation.contractor_id)
        .where(
            # Sent at all: delivered, failed, answered, or still waiting for an answer.
            Invitation.sent_at >= since,
            Invitation.sent_at < until,
        )
    )
    for status, contractor_id, client, manager in invitations:
        for key in _keys(client, manager):
            tally = tallies[key]
            tally.sent += 1
            if status == InvitationStatus.ANSWERED:
                tally.answered += 1
                tally.answering.add(contractor_id)


def _chart(title: str, weeks: list[date], groups: list[Group]) -> Chart:
    lines = []
    for group in groups:
        values = [f.value for f in group.weekly]
        hidden = all(v is None for v in values) and any(f.hidden for f in group.weekly)
        name = f"{group.name} (hidden: fewer than {MIN_RESPONDENTS})" if hidden else group.name
        lines.append((name, values))
    return weekly_chart(title, weeks, lines)


def _bucket(age: timedelta) -> int:
    for n, (limit, _label) in enumerate(AGE_BUCKETS):
        if limit is None or age < limit:
            return n
    return len(AGE_BUCKETS) - 1


def open_work_by_age(session: Session) -> tuple[list[str], list[AgeRow]]:
    """Open tickets (per team holding them) and open alerts, counted by how long they wait."""
    current = now()
    rows: dict[str, list[int]] = {
        "Support tickets": [0] * len(AGE_BUCKETS),
        "Tickets handed to Care": [0] * len(AGE_BUCKETS),
        "Care alerts": [0] * len(AGE_BUCKETS),
    }
    created: datetime
    for team, created in session.execute(
        select(Ticket.team, Ticket.created_at).where(Ticket.status != TicketStatus.RESOLVED)
    ):
        row = "Support tickets" if team == Team.SUPPORT else "Tickets handed to Care"
        rows[row][_bucket(current - created)] += 1
    for (created,) in session.execute(
        select(Alert.created_at).where(Alert.status != AlertStatus.RESOLVED)
    ):
        rows["Care alerts"][_bucket(current - created)] += 1
    return [label for _, label in AGE_BUCKETS], [AgeRow(k, v) for k, v in rows.items()]
