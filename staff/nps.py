"""NPS reporting: the score per client, account manager and month with promoter, passive and
detractor counts; response rate per flow step; the share of detractors a staff member wrote
to within 24 hours. No Flask.

The dashboard's anonymity threshold applies: a group answered by fewer than
:data:`staff.dashboard.MIN_RESPONDENTS` different contractors shows no figures at all, not even
its counts (from which the score could be worked out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import flows
from outreach.models import Contractor, Direction, Invitation, Message, Survey
from staff.dashboard import MIN_RESPONDENTS
from surveys.flow_models import Conversation
from surveys.models import Response

CONTACT_WITHIN = timedelta(hours=24)


@dataclass(frozen=True)
class NpsRow:
    name: str
    promoters: int
    passives: int
    detractors: int
    respondents: int  # different contractors

    @property
    def total(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def hidden(self) -> bool:
        return self.respondents < MIN_RESPONDENTS

    @property
    def score(self) -> int | None:
        """NPS: % promoters less % detractors, -100..100; None when hidden."""
        if self.hidden or not self.total:
            return None
        return round(100 * (self.promoters - self.detractors) / self.total)


@dataclass(frozen=True)
class StepRate:
    survey: str
    step: str
    asked: int
    answered: int

    @property
    def hidden(self) -> bool:
        return self.asked < MIN_RESPONDENTS

    @property
    def rate(self) -> float | None:
        return None if self.hidden else self.answered / self.asked


@dataclass(frozen=True)
class NpsReport:
    overall: NpsRow
    by_client: list[NpsRow]
    by_manager: list[NpsRow]
    by_month: list[NpsRow]
    steps: list[StepRate]
    detractors: int
    contacted: int  # detractors a staff member wrote to within CONTACT_WITHIN

    @property
    def contacted_share(self) -> float | None:
        if self.detractors < MIN_RESPONDENTS:
            return None
        return self.contacted / self.detractors


@dataclass(frozen=True)
class _Score:
    contractor_id: int
    client: str
    manager: str
    at: datetime
    score: int


def _nps_surveys(session: Session) -> list[Survey]:
    found = []
    for survey in session.scalars(select(Survey).where(Survey.flow.is_not(None))):
        try:
            flow = flows.parse(survey.flow)
        except flows.FlowError:
            continue
        if flow.step(flow.first).kind == flows.StepKind.NPS:
            found.append(survey)
    return found


def _row(name: str, scores: Iterable[_Score]) -> NpsRow:
    scores = list(scores)
    return NpsRow(
        name=name,
        promoters=sum(s.score >= 9 for s in scores),
        passives=sum(7 <= s.score <= 8 for s in scores),
        detractors=sum(s.score <= 6 for s in scores),
        respondents=len({s.contractor_id for s in scores}),
    )


def _grouped(scores: list[_Score], key: Callable[[_Score], str]) -> list[NpsRow]:
    groups: dict[str, list[_Score]] = defaultdict(list)
    for score in scores:
        groups[key(score)].append(score)
    return [_row(name, groups[name]) for name in sorted(groups)]


def _contacted(session: Session, detractors: list[_Score]) -> int:
    """Detractors a staff member wrote to (a staff message) within 24 hours of their score."""
    if not detractors:
        return 0
    ids = {d.contractor_id for d in detractors}
    earliest = min(d.at for d in detractors)
    written: dict[int, list[datetime]] = defaultdict(list)
    for contractor_id, created_at, payload in session.execute(
        select(Message.contractor_id, Message.created_at, Message.payload).where(
            Message.direction == Direction.OUTBOUND,
            Message.contractor_id.in_(ids),
            Message.created_at >= earliest,
        )
    ):
        if contractor_id is not None and (payload or {}).get("staff_user_id"):
            written[contractor_id].append(created_at)
    return sum(
        any(d.at <= at <= d.at + CONTACT_WITHIN for at in written.get(d.contractor_id, ()))
        for d in detractors
    )


def _step_rates(session: Session, surveys: list[Survey]) -> list[StepRate]:
    rates = []
    for survey in sorted(surveys, key=lambda s: s.name):
        flow = flows.parse(survey.flow)
        sent = session.scalars(
            select(Invitation.id).where(
                Invitation.survey_id == survey.id, Invitation.sent_at.is_not(None)
            )
        ).all()
        asked: dict[str, int] = defaultdict(int)
        answered: dict[str, int] = defaultdict(int)
        asked[flow.first] = len(sent)
        for conversation in session.scalars(
            select(Conversation)
            .join(Invitation, Invitation.id == Conversation.invitation_id)
            .where(Invitation.survey_id == survey.id)
        ):
            for key in conversation.asked[1:]:
                asked[key] += 1
            for key in {a["step"] for a in conversation.answers if a.get("fits")}:
                answered[key] += 1
        for key in flow.steps:
            rates.append(StepRate(survey.name, key, asked[key], answered[key]))
    return rates


def build(session: Session) -> NpsReport:
    surveys = _nps_surveys(session)
    ids = [s.id for s in surveys]
    scores = [
        _Score(contractor_id, client, manager, at, rating)
        for contractor_id, client, manager, at, rating in session.execute(
            select(
                Contractor.id,
                Contractor.client,
                Contractor.account_manager,
                Response.created_at,
                Response.rating,
            )
            .join(Invitation, Invitation.id == Response.invitation_id)
            .join(Contractor, Contractor.id == Response.contractor_id)
            .where(Invitation.survey_id.in_(ids), Response.rating.is_not(None))
        )
        if rating is not None and 0 <= rating <= 10
    ]
    detractors = [s for s in scores if s.score <= 6]
    return NpsReport(
        overall=_row("All", scores),
        by_client=_grouped(scores, lambda s: s.client),
        by_manager=_grouped(scores, lambda s: s.manager),
        by_month=_grouped(scores, lambda s: s.at.strftime("%Y-%m")),
        steps=_step_rates(session, surveys),
        detractors=len(detractors),
        contacted=_contacted(session, detractors),
    )
