"""A survey flow running with one contractor (Conversation), and the work an answer makes for
a team other than Support and Care's queues (Task: a referral for recruiting, a redeployment
for Care)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import now
from core.db import Base
from core.types import UTCDateTime
from outreach.models import Contractor, Invitation


class ConversationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # reached an ending
    TIMED_OUT = "timed_out"  # a step got no answer; closed with what it had
    STOPPED = "stopped"  # the contractor asked us to stop
    SUPERSEDED = "superseded"  # a newer survey went out before this one finished


class Conversation(Base):
    """One invitation's flow: which step waits for an answer, and what each step got.

    ``open_for`` holds the contractor's id while the conversation is open and is unique, so a
    contractor never has two open at once (NULLs do not collide, on SQLite and PostgreSQL).
    """

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), unique=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), index=True)
    open_for: Mapped[int | None] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(12), default=ConversationStatus.OPEN)
    step: Mapped[str] = mapped_column(String(64))
    reasked: Mapped[bool] = mapped_column(Boolean, default=False)
    # Steps asked, in order, and each answer: [{"step": ..., "text": ..., "fits": ...}, ...]
    asked: Mapped[list[str]] = mapped_column(JSON, default=list)
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ending: Mapped[str | None] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    invitation: Mapped[Invitation] = relationship()
    contractor: Mapped[Contractor] = relationship()


class TaskTeam(StrEnum):
    RECRUITING = "recruiting"
    CARE = "care"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class Task(Base):
    """Work an answer asked for. One per kind per conversation: a re-read changes nothing."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("conversation_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # an outreach.flows.TaskKind
    team: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(12), default=TaskStatus.OPEN)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    # What the contractor gave: {"name": ..., "phone": "+1...", "text": ...}
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, index=True)

    contractor: Mapped[Contractor] = relationship()
