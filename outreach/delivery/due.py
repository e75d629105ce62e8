"""What may go now: invitations and reminders that are due, whose contractor is inside the
survey's send window at this moment (the dispatcher asks, batch by batch)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from core.clock import now
from outreach.delivery.statuses import REMINDABLE
from outreach.models import Contractor, Invitation, InvitationStatus, Survey
from outreach.schedule import in_send_window


def _open_now(session: Session, waiting: Select[Any], limit: int) -> list[int]:
    """Narrow ``waiting`` (invitation ids joined to contractors) to those whose contractor is
    inside the survey's window now. The window depends on the zone and the survey, so it is
    decided once per (zone, survey) pair and handed to the database as a filter."""
    current = now()
    pairs = session.execute(
        waiting.with_only_columns(Contractor.timezone, Invitation.survey_id).distinct()
    ).all()
    if not pairs:
        return []
    surveys = {
        s.id: s
        for s in session.scalars(
            select(Survey).where(Survey.id.in_({survey_id for _, survey_id in pairs}))
        )
    }
    open_now = [
        and_(Contractor.timezone == timezone, Invitation.survey_id == survey_id)
        for timezone, survey_id in pairs
        if in_send_window(current, timezone, surveys[survey_id])
    ]
    if not open_now:
        return []
    return list(
        session.scalars(
            waiting.where(or_(*open_now)).order_by(Invitation.due_on, Invitation.id).limit(limit)
        )
    )


def sendable_invitation_ids(session: Session, limit: int = 500) -> list[int]:
    """Scheduled invitations whose contractor is inside the send window right now."""
    current = now()
    waiting = (
        select(Invitation.id)
        .join(Contractor, Contractor.id == Invitation.contractor_id)
        .where(
            Invitation.status == InvitationStatus.SCHEDULED,
            Invitation.expires_at > current,
            or_(Invitation.not_before.is_(None), Invitation.not_before <= current),
        )
    )
    return _open_now(session, waiting, limit)


def due_reminder_ids(
    session: Session, *, after: timedelta, stale: timedelta, limit: int = 500
) -> list[int]:
    """Unanswered invitations sent at least ``after`` ago (and not so long ago that a reminder
    would be stale), not yet reminded, whose contractor is inside the window now."""
    current = now()
    waiting = (
        select(Invitation.id)
        .join(Contractor, Contractor.id == Invitation.contractor_id)
        .where(
            Invitation.status.in_(REMINDABLE),
            Invitation.reminder_count == 0,
            Invitation.answered_at.is_(None),
            Invitation.sent_at <= current - after,
            Invitation.sent_at > current - after - stale,
            or_(Invitation.not_before.is_(None), Invitation.not_before <= current),
        )
    )
    return _open_now(session, waiting, limit)
