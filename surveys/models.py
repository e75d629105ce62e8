"""What we learn (Response, Correction) and the work it makes for Support (Ticket) and Care
(Alert). What we ask (Survey, Invitation) lives with its life cycle in :mod:`outreach.models`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.db import Base
from core.types import UTCDateTime
from outreach.models import Contractor, Invitation

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


class TicketStatus(StrEnum):
    OPEN = "open"  # nobody has it
    CLAIMED = "claimed"
    ESCALATED = "escalated"  # waiting on the client, payroll or the account manager
    RESOLVED = "resolved"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


class Severity(StrEnum):
    """How soon Care should look at an alert (a ticket's urgency is its ``Priority``)."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


class AlertKind(StrEnum):
    """What trend an alert is about; :mod:`surveys.care` says when each is raised."""

    QUIT_INTENT = "quit_intent"
    LOW_RATING_STREAK = "low_rating_streak"
    BASELINE_DROP = "baseline_drop"
    EARLY_TENURE = "early_tenure"
    SILENCE = "silence"
    CLIENT_HOTSPOT = "client_hotspot"


# Ticket and alert statuses that are still someone's work.
OPEN_WORK: tuple[str, ...] = tuple(sorted({*TicketStatus, *AlertStatus} - {"resolved"}))


class Ticket(Base):
    """Support's break/fix work: one concrete problem a contractor reported."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_open", "contractor_id", "category", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"))
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(10))  # a surveys.categories.Priority
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.OPEN)
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
    severity: Mapped[str] = mapped_column(String(10))  # a Severity
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.OPEN)
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
