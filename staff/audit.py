"""The audit trail: who did what, to which thing, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from staff.models import AuditEvent, StaffUser
from staff.paging import Page, page_of


def record(
    session: Session,
    user_id: int | None,
    action: str,
    target_type: str | None = None,
    target_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add one audit event to ``session``; the caller commits it with the action it records.

    ``user_id`` is None when nobody is signed in (a failed sign-in for an unknown email, a
    command run from the shell). ``detail`` must be JSON-serialisable.
    """
    event = AuditEvent(
        staff_user_id=user_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
    )
    session.add(event)
    return event


ACTION_LABELS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in",
    "sign_in_throttled": "Sign-in refused: too many failures",
    "sign_out": "Signed out",
    "ticket_claimed": "Claimed ticket",
    "ticket_assigned": "Assigned ticket",
    "ticket_status_changed": "Changed ticket status",
    "ticket_note_added": "Added note to ticket",
    "ticket_handed_off": "Handed off ticket",
    "ticket_resolved": "Resolved ticket",
    "alert_acknowledged": "Acknowledged alert",
    "care_outreach_logged": "Logged outreach",
    "alert_escalated": "Escalated alert",
    "alert_resolved": "Resolved alert",
    "reply_queued": "Sent a message to a contractor",
    "replies_exported": "Exported replies",
    "survey_edited": "Edited survey",
    "must_catch_added": "Added must-catch phrase",
    "must_catch_disabled": "Switched off must-catch phrase",
    "must_catch_enabled": "Switched on must-catch phrase",
    "staff_user_created": "Created staff user",
    "staff_user_changed": "Changed staff user",
    "password_changed": "Changed a password",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


def events(
    session: Session,
    *,
    action: str = "",
    user_id: int | None = None,
    page: int = 1,
    per_page: int = 100,
) -> Page[tuple[AuditEvent, str | None]]:
    """Audit events newest first, each with the email of who did it (None: nobody signed in)."""
    query = select(AuditEvent, StaffUser.email).outerjoin(
        StaffUser, StaffUser.id == AuditEvent.staff_user_id
    )
    if action:
        query = query.where(AuditEvent.action == action)
    if user_id is not None:
        query = query.where(AuditEvent.staff_user_id == user_id)
    total, query = page_of(
        session, query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()), page, per_page
    )
    found = session.execute(query).all()
    return Page(
        items=[(event, email) for event, email in found], page=page, per_page=per_page, total=total
    )
