"""Who hears about urgent work and how: each staff user's channels, the notifications sent
(one row per person, item and channel, so a retry or a second sweep never sends twice), and
the canned replies staff pick from when they answer a contractor."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.db import Base
from core.types import UTCDateTime


class NotifyChannel(StrEnum):
    EMAIL = "email"
    SLACK = "slack"
    TEAMS = "teams"


class NotificationStatus(StrEnum):
    PENDING = "pending"  # stored, its send job not yet run (or enqueued)
    SENDING = "sending"  # claimed by one job: nobody else sends it
    SENT = "sent"
    RETRYING = "retrying"  # the channel failed; tried again after ``next_attempt_at``
    FAILED = "failed"  # gave up after the last attempt: shown to admins until retried by hand
    NO_RECIPIENT = "no_recipient"  # nobody to tell: shown to admins, never dropped quietly


class NotificationKind(StrEnum):
    URGENT = "urgent"
    DIGEST = "digest"


class NotifySettings(Base):
    """One staff user's choices. A user without a row gets urgent work by email."""

    __tablename__ = "staff_notify_settings"

    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    # The name the roster gives as account manager, when it is not the sign-in email.
    known_as: Mapped[str | None] = mapped_column(String(200), index=True)
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    by_email: Mapped[bool] = mapped_column(Boolean, default=True)
    slack_url: Mapped[str | None] = mapped_column(String(500))
    teams_url: Mapped[str | None] = mapped_column(String(500))
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)


class Notification(Base):
    """One message to one person about one ticket or alert (or one day's digest)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "ticket:12:user:3:slack": a second sweep or a replayed job finds the row it made.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # a NotificationKind
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # a NotifyChannel
    address: Mapped[str] = mapped_column(String(500), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(14))  # a NotificationStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CannedReply(Base):
    """A reply staff can start from; ``{first_name}``, ``{account_manager}`` and ``{payday}``
    are filled in for the contractor it goes to."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(5), default="en")
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
