"""The audit trail: who did what, to which thing, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from staff.models import AuditEvent


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
