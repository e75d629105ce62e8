"""Demo survey flows: the default flows installed, and weeks of 30-day NPS conversations with
the history's contractors, so the NPS report, the step response rates and the tasks page have
something to show on first start. Rows are written as the reader would have left them."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from demo.history import PREFIX, SEED
from outreach import flow_defaults
from outreach.models import (
    Contractor,
    Direction,
    Invitation,
    InvitationStatus,
    Message,
    MessageStatus,
    Survey,
)
from outreach.schedule import zone
from surveys.flow_answers import referral
from surveys.flow_models import Conversation, ConversationStatus, Task, TaskTeam
from surveys.models import Response

WHAT_HAPPENED = [
    "My shifts keep getting moved around with no notice",
    "Nobody told me where to park or who my lead was",
    "Pay was short two weeks in a row",
    "The supervisor yells at us",
    "The work is fine but the commute is brutal",
]
REFERRALS = [
    "Sure! Maria Lopez 202-555-0143",
    "my brother Tom Reyes 202-555-0178",
    "no thanks",
    "Jada Kim, 202 555 0191",
]


@dataclass
class FlowCounts:
    added: int = 0
    conversations: int = 0
    tasks: int = 0


def seed_flows(session: Session, care_id: int) -> FlowCounts:
    """Install the default flows; once, add NPS history for the demo history's contractors."""
    counts = FlowCounts()
    counts.added = len(
        flow_defaults.install_defaults(
            session, weekdays_only=False, window_start="08:00", window_end="20:00"
        )
    )
    if session.scalar(select(Conversation.id).limit(1)) is not None:
        return counts
    nps = session.scalars(select(Survey).where(Survey.key == "nps-30")).one()
    rng = random.Random(SEED + 30)
    real_now = clock.now()
    for contractor in session.scalars(
        select(Contractor).where(Contractor.external_id.startswith(PREFIX)).order_by(Contractor.id)
    ):
        if rng.random() < 0.15:
            continue  # never answered
        day = (real_now - timedelta(days=rng.randint(2, 85))).date()
        sent_at = datetime.combine(day, time(10), zone(contractor.timezone)).astimezone(UTC)
        score = rng.choices(range(11), weights=[1, 1, 1, 2, 2, 3, 4, 8, 10, 12, 10])[0]
        _conversation(session, rng, nps, contractor, sent_at, score, care_id, counts)
    return counts


def _conversation(
    session: Session,
    rng: random.Random,
    survey: Survey,
    contractor: Contractor,
    sent_at: datetime,
    score: int,
    care_id: int,
    counts: FlowCounts,
) -> None:
    invitation = _answered_invitation(session, rng, survey, contractor, sent_at)
    answered_at = sent_at if invitation.answered_at is None else invitation.answered_at
    answers: list[dict[str, Any]] = [
        {"step": "score", "text": str(score), "fits": True, "score": score}
    ]
    asked = ["score"]
    follow_up = None
    if score <= 6:
        follow_up = ("what_happened", rng.choice(WHAT_HAPPENED))
    elif score >= 9:
        follow_up = ("referral", rng.choice(REFERRALS))
    status = ConversationStatus.CLOSED
    if follow_up is not None:
        asked.append(follow_up[0])
        if rng.random() < 0.7:
            answers.append({"step": follow_up[0], "text": follow_up[1], "fits": True})
        else:
            status = ConversationStatus.TIMED_OUT
    text = "\n".join(str(a["text"]) for a in answers)
    response = Response(
        contractor_id=contractor.id,
        invitation_id=invitation.id,
        channel=contractor.channel,
        text=text,
        rating=score,
        scale_max=10,
        negative=score <= 6,
        flags={"flow": answers},
        created_at=answered_at,
    )
    session.add(response)
    session.flush()
    conversation = Conversation(
        invitation_id=invitation.id,
        contractor_id=contractor.id,
        response_id=response.id,
        status=status,
        step=asked[-1],
        reasked=False,
        asked=asked,
        answers=answers,
        ending="end:sorry" if score <= 6 else "end:thanks",
        asked_at=answered_at,
        created_at=answered_at,
        closed_at=answered_at + timedelta(hours=1),
    )
    session.add(conversation)
    session.flush()
    counts.conversations += 1
    if len(answers) > 1 and follow_up is not None and follow_up[0] == "referral":
        counts.tasks += _referral_task(session, contractor, conversation, response, follow_up[1])
    if score <= 6 and rng.random() < 0.6:
        _care_reply(session, rng, contractor, answered_at, care_id)


def _answered_invitation(
    session: Session, rng: random.Random, survey: Survey, contractor: Contractor, sent_at: datetime
) -> Invitation:
    answered_at = sent_at + timedelta(minutes=rng.randint(3, 180))
    invitation = Invitation(
        survey_id=survey.id,
        contractor_id=contractor.id,
        due_on=sent_at.date(),
        status=InvitationStatus.ANSWERED,
        channel=contractor.channel,
        reply_token=secrets.token_hex(8),
        sent_at=sent_at,
        answered_at=answered_at,
        expires_at=sent_at + timedelta(days=2),
        created_at=sent_at,
    )
    session.add(invitation)
    session.flush()
    return invitation


def _referral_task(
    session: Session,
    contractor: Contractor,
    conversation: Conversation,
    response: Response,
    text: str,
) -> int:
    """A referral the contractor gave becomes a task for recruiting; 1 if one was made."""
    found = referral(text)
    if found is None:
        return 0
    session.add(
        Task(
            kind="referral",
            team=TaskTeam.RECRUITING,
            contractor_id=contractor.id,
            conversation_id=conversation.id,
            response_id=response.id,
            details=dict(found.as_dict(text)),
            created_at=response.created_at,
        )
    )
    return 1


def _care_reply(
    session: Session,
    rng: random.Random,
    contractor: Contractor,
    answered_at: datetime,
    care_id: int,
) -> None:
    # Care wrote back to most detractors, within a day.
    session.add(
        Message(
            direction=Direction.OUTBOUND,
            channel=contractor.channel,
            contractor_id=contractor.id,
            from_address="pulse",
            to_address=contractor.phone or contractor.email or "",
            body="Hi, this is Care. Sorry to hear that; can we call you today?",
            status=MessageStatus.DELIVERED,
            payload={"staff_user_id": care_id},
            created_at=answered_at + timedelta(hours=rng.randint(1, 30)),
        )
    )
