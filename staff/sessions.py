"""Signed-in sessions, kept in the database so that ending one really ends it. No Flask here.

Flask's session is a signed cookie: clearing it at sign-out clears the browser's copy only,
and a copy taken earlier (from a shared computer, a proxy log, a stolen laptop) would go on
working until SECRET_KEY changes. So the cookie also carries a random token whose hash is a
row here; every request looks the row up, and sign-out, a password change or switching the
account off delete rows.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.clock import now
from staff.models import StaffSession, StaffUser

# However long a browser stays open, a working day and a bit is as long as one sign-in lasts.
LIFETIME = timedelta(hours=14)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: StaffUser) -> str:
    """A new session for ``user``; returns the token for the cookie (the caller commits)."""
    current = now()
    # Rows past their lifetime can never be used again: dropped here rather than by a job.
    session.execute(delete(StaffSession).where(StaffSession.created_at < current - LIFETIME))
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(staff_user_id=user.id, token_hash=_hash(token), created_at=current))
    return token


def user_for(session: Session, user_id: int, token: str | None) -> StaffUser | None:
    """The active account this still-open session belongs to, else None."""
    if not token:
        return None
    found = session.execute(
        select(StaffUser)
        .join(StaffSession, StaffSession.staff_user_id == StaffUser.id)
        .where(
            StaffUser.id == user_id,
            StaffUser.active.is_(True),
            StaffSession.token_hash == _hash(token),
            StaffSession.created_at >= now() - LIFETIME,
        )
    ).scalar_one_or_none()
    return found


def end(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))


def end_all(session: Session, user_id: int, keep: str | None = None) -> int:
    """End every session of ``user_id`` but ``keep``; returns how many ended."""
    query = delete(StaffSession).where(StaffSession.staff_user_id == user_id)
    if keep:
        query = query.where(StaffSession.token_hash != _hash(keep))
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]
