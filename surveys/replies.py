"""From a stored inbound message to a Response: who sent it, what it answers, what it says."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.clock import now
from outreach.delivery import advance_invitation
from outreach.models import Channel, Contractor, Direction, Message
from surveys import triage
from surveys.analysis import analyze
from surveys.models import Invitation, InvitationStatus, Response

log = logging.getLogger(__name__)

# Texts this close together are one answer: "4" and then "timecard is late".
GROUP_WINDOW = timedelta(minutes=5)
# How long after it went out an invitation still takes its answer.
ANSWER_WINDOW = timedelta(days=7)
MAX_ATTEMPTS = 5
_ANSWERABLE = (InvitationStatus.SENT, InvitationStatus.DELIVERED, InvitationStatus.ANSWERED)


def find_contractor(session: Session, message: Message) -> Contractor | None:
    column = Contractor.phone if message.channel == Channel.SMS else Contractor.email
    address = (
        message.from_address if message.channel == Channel.SMS else (message.from_address.lower())
    )
    return session.scalar(
        select(Contractor).where(func.lower(column) == address.lower()).order_by(Contractor.id)
    )


def open_invitation(session: Session, contractor_id: int) -> Invitation | None:
    """The contractor's most recent invitation still inside its answer window."""
    return session.scalar(
        select(Invitation)
        .where(
            Invitation.contractor_id == contractor_id,
            Invitation.status.in_(_ANSWERABLE),
            Invitation.sent_at >= now() - ANSWER_WINDOW,
        )
        .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
        .limit(1)
    )


def _recent_response(
    session: Session, contractor_id: int, at_or_after: datetime
) -> Response | None:
    return session.scalar(
        select(Response)
        .where(
            Response.contractor_id == contractor_id,
            Response.channel == Channel.SMS,
            Response.created_at >= at_or_after,
        )
        .order_by(Response.id.desc())
        .limit(1)
    )


def claim(session: Session, message_id: int) -> bool:
    """Take a message for processing; False when another worker already has."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.processed_at.is_(None))
        .values(processed_at=now())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def process_message(session: Session, message_id: int) -> Response | None:
    """Read one inbound message into a Response and its tickets and alerts.

    Runs in the caller's transaction, so a crash leaves the message waiting, not half-done.
    """
    if not claim(session, message_id):
        return None
    message = session.get_one(Message, message_id)
    contractor = find_contractor(session, message)
    text = message.body.strip()

    response: Response | None = None
    if contractor is not None:
        message.contractor_id = contractor.id
        if message.channel == Channel.SMS:
            response = _recent_response(session, contractor.id, message.created_at - GROUP_WINDOW)
    if response is not None:
        response.text = f"{response.text}\n{text}".strip()
    else:
        invitation = open_invitation(session, contractor.id) if contractor else None
        scale = invitation.survey.scale_max if invitation else 5
        response = Response(
            contractor_id=contractor.id if contractor else None,
            invitation_id=invitation.id if invitation else None,
            channel=message.channel,
            text=text,
            scale_max=scale,
            created_at=message.created_at,
        )
        session.add(response)

    analysis = analyze(response.text, response.scale_max)
    response.rating = analysis.rating
    response.polarity = analysis.polarity
    response.subjectivity = analysis.subjectivity
    response.vader_compound = analysis.vader_compound
    response.negative = analysis.negative
    response.category = analysis.category
    response.quit_intent = analysis.quit_intent
    response.flags = {
        "rule": analysis.rule,
        "cues": list(analysis.cues),
        "unsolicited": response.invitation_id is None,
        "unknown_sender": contractor is None,
        "from": message.from_address if contractor is None else None,
    }
    response.flagged = bool(
        analysis.negative
        or analysis.category != "none"
        or analysis.quit_intent
        or contractor is None
    )
    session.flush()
    message.response_id = response.id
    message.invitation_id = response.invitation_id
    invitation = response.invitation
    if invitation is not None and advance_invitation(invitation, InvitationStatus.ANSWERED):
        invitation.answered_at = now()
    triage.apply(session, response, analysis)
    return response


def pending_message_ids(session: Session, limit: int = 200) -> list[int]:
    return list(
        session.scalars(
            select(Message.id)
            .where(
                Message.direction == Direction.INBOUND,
                Message.processed_at.is_(None),
                Message.process_attempts < MAX_ATTEMPTS,
            )
            .order_by(Message.id)
            .limit(limit)
        )
    )


def record_failure(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(process_attempts=Message.process_attempts + 1, process_error=error[:2000])
    )


__all__ = ["pending_message_ids", "process_message", "record_failure"]
