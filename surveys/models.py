"""What we ask (Survey, Invitation), what we learn (Response), and the work it makes for
Support (Ticket) and Care (Alert)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.db import Base
from core.types import UTCDateTime
from outreach.models import Contractor

DEFAULT_ONBOARDING_DAYS = [3, 14, 30, 45]


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    scale_max: Mapped[int] = mapped_column(Integer, default=5)
    sms_template: Mapped[str] = mapped_column(Text)
    email_subject: Mapped[str] = mapped_column(String(200))
    email_template: Mapped[str] = mapped_column(Text)
    # Other languages' texts: {"es": {"sms_template": ..., "email_subject": ...,
    # "email_template": ...}}. A language left out is written from outreach.templates' default.
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON)
    # Days after the assignment start on which the survey goes out, then every
    # ``pulse_every_days`` until the assignment ends (no recurring pulse when null).
    onboarding_days: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_ONBOARDING_DAYS)
    )
    pulse_every_days: Mapped[int | None] = mapped_column(Integer)
    # Local send window, "HH:MM"; clamped to the 08:00-20:00 hard bounds whatever is set.
    window_start: Mapped[str] = mapped_column(String(5), default="09:00")
    window_end: Mapped[str] = mapped_column(String(5), default="18:00")
    weekdays_only: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class InvitationStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    ANSWERED = "answered"
    EXPIRED = "expired"
    SKIPPED = "skipped"  # opted out or no usable address when its turn came


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("survey_id", "contractor_id", "due_on"),
        Index("ix_invitations_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=InvitationStatus.SCHEDULED)
    channel: Mapped[str] = mapped_column(String(10))
    reply_token: Mapped[str] = mapped_column(String(32), unique=True)
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    # Provider refusals that asked us to come back later (429, 5xx), and when to.
    send_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    survey: Mapped[Survey] = relationship()
    contractor: Mapped[Contractor] = relationship()


ticket_responses = Table(
    "ticket_responses",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id"), primary_key=True),
    Column("response_id", ForeignKey("responses.id"), primary_key=True),
)

alert_responses = Table(
    "alert_responses",
    Base.metadata,
    Column("alert_id", ForeignKey("alerts.id"), primary_key=True),
    Column("response_id", ForeignKey("responses.id"), primary_key=True),
)


class Response(Base):
    """One answer: a contractor's reply (one or more messages) and what we read in it."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"), index=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    scale_max: Mapped[int] = mapped_column(Integer, default=5)
    polarity: Mapped[float] = mapped_column(Float, default=0.0)
    subjectivity: Mapped[float] = mapped_column(Float, default=0.0)
    vader_compound: Mapped[float] = mapped_column(Float, default=0.0)
    negative: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(String(32), default="none")
    quit_intent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why it was read this way: rules that fired, cues found, unsolicited, unknown sender.
    flags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # What read it and how sure it was: the reader's version and its probabilities per label.
    lang: Mapped[str | None] = mapped_column(String(5))
    model_version: Mapped[str | None] = mapped_column(String(40))
    probabilities: Mapped[dict[str, float] | None] = mapped_column(JSON)
    # The reader was unsure: staff should look ("Needs a look"), until someone reviews it.
    needs_look: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), index=True
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=now)

    invitation: Mapped[Invitation | None] = relationship()
    contractor: Mapped[Contractor | None] = relationship()
    tickets: Mapped[list[Ticket]] = relationship(
        secondary=ticket_responses, back_populates="responses"
    )
    alerts: Mapped[list[Alert]] = relationship(
        secondary=alert_responses, back_populates="responses"
    )


class Correction(Base):
    """A staff member's reading of a reply, beside the reader's: what training learns from.

    One row per review, even when staff agree with every label (that is how the admin page
    measures the reader on reviewed replies); ``before`` and ``after`` hold the labels
    (category, negative, quit_intent, opt_out) as they were and as staff set them.
    """

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, index=True)

    response: Mapped[Response] = relationship()


class Team(StrEnum):
    SUPPORT = "support"
    CARE = "care"


class Ticket(Base):
    """Support's break/fix work: one concrete problem a contractor reported."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_open", "contractor_id", "category", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"))
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(10))  # urgent | high | normal | low
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|claimed|resolved
    team: Mapped[str] = mapped_column(String(10), default=Team.SUPPORT)  # handed to Care and back
    rule: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contractor: Mapped[Contractor | None] = relationship()
    responses: Mapped[list[Response]] = relationship(
        secondary=ticket_responses, back_populates="tickets", order_by="Response.id"
    )


class Alert(Base):
    """Care's proactive work: a trend in one contractor's replies (or silence)."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_open", "contractor_id", "kind", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"))
    # The contractor's client; a client hot-spot alert has a client and no contractor.
    client: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(10))  # urgent | high | normal
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|acknowledged|resolved
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    contractor: Mapped[Contractor | None] = relationship()
    responses: Mapped[list[Response]] = relationship(
        secondary=alert_responses, back_populates="alerts", order_by="Response.id"
    )


class MustCatchPhrase(Base):
    """A must-catch phrase staff added on the Reading rules page. It runs beside the packaged
    ``rules.toml`` from the next reply on, in every worker, with no restart or retraining
    (:func:`surveys.rules.in_force` reads the active ones for each reply). Never deleted, only
    switched off, so a ticket's ``rule`` (``staff-<id>``) always names what fired."""

    __tablename__ = "must_catch_phrases"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(200))
    # Look-alikes: a hit inside one of these does not count ("nail gun" for "gun").
    except_phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
