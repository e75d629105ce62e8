"""NPS conversations as the reader leaves them, for the report's tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from outreach import flow_defaults
from outreach.models import Contractor, Invitation, Survey
from surveys.flow_models import Conversation, ConversationStatus
from surveys.models import Response
from tests.factories import make_contractor

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def nps_survey(session: Session) -> Survey:
    survey = flow_defaults.survey_for("nps-30")
    session.add(survey)
    session.flush()
    return survey


def nps_answer(
    session: Session,
    survey: Survey,
    score: int,
    *,
    contractor: Contractor | None = None,
    at: datetime = T0,
    follow_up: str | None = None,
    **contractor_fields: str,
) -> Response:
    """A contractor's 30-day NPS conversation: their score and, maybe, a follow-up answer."""
    contractor = contractor or make_contractor(session, **contractor_fields)
    invitation = Invitation(
        survey_id=survey.id,
        contractor_id=contractor.id,
        due_on=at.date(),
        status="answered",
        channel="sms",
        reply_token=secrets.token_hex(8),
        sent_at=at - timedelta(minutes=30),
        answered_at=at,
        expires_at=at + timedelta(days=2),
    )
    session.add(invitation)
    session.flush()
    answers = [{"step": "score", "text": str(score), "fits": True, "score": score}]
    asked = ["score"]
    if score <= 6 or score >= 9:
        asked.append("what_happened" if score <= 6 else "referral")
        if follow_up is not None:
            answers.append({"step": asked[-1], "text": follow_up, "fits": True})
    response = Response(
        contractor_id=contractor.id,
        invitation_id=invitation.id,
        channel="sms",
        text="\n".join(a["text"] for a in answers),
        rating=score,
        scale_max=10,
        created_at=at,
        flags={"flow": answers},
    )
    session.add(response)
    session.flush()
    session.add(
        Conversation(
            invitation_id=invitation.id,
            contractor_id=contractor.id,
            response_id=response.id,
            status=ConversationStatus.CLOSED,
            step=asked[-1],
            reasked=False,
            asked=asked,
            answers=answers,
            asked_at=at,
            created_at=at,
        )
    )
    session.flush()
    return response
