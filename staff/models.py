"""Staff accounts, the audit trail of what they did, their notes, and failed sign-ins."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.clock import now
from core.db import Base
from core.types import UTCDateTime


class Role(StrEnum):
    SUPPORT = "support"
    CARE = "care"
    ADMIN = "admin"


class StaffUser(UserMixin, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, index=True)


class NoteKind(StrEnum):
    NOTE = "note"  # an internal note on a ticket or alert, never sent to the contractor
    HAND_OFF = "hand_off"  # a ticket moved between Support and Care; the body says why
    CALL = "call"  # Care's outreach log: how they reached the contractor, and what came of it
    TEXT = "text"
    EMAIL = "email"
    ESCALATION = "escalation"
    RESOLUTION = "resolution"


OUTREACH_KINDS = (NoteKind.CALL, NoteKind.TEXT, NoteKind.EMAIL)


class WorkNote(Base):
    """What staff wrote while working a ticket or an alert: notes, hand-offs, outreach."""

    __tablename__ = "work_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    author: Mapped[StaffUser] = relationship()


class StaffSession(Base):
    """One signed-in browser. The cookie holds a random token; we keep only its hash.

    Signing out deletes the row, so a copy of the cookie taken before stops working; a
    password change or switching the account off deletes the account's other rows.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, index=True)


class SignInFailure(Base):
    """One failed sign-in, counted per address, per address and account, and per known browser.

    ``device`` is set when the attempt came from a browser that signed in to this account
    before (its device cookie); such failures count only against that browser.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_email_at", "email", "at"),
        Index("ix_sign_in_failures_address_at", "address", "at"),
        Index("ix_sign_in_failures_device_at", "device", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
