"""How the teams run their work: business hours and SLA policies per team, the SLA clock on
each ticket and alert, the round-robin turn, saved queue views, and the flagged-reply inbox's
state. Kept apart from :mod:`staff.models` (accounts, audit, notes) so each file stays small."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.db import Base
from core.types import UTCDateTime


class SlaState(StrEnum):
    """Where an item stands against its promise, as the queues and the item page show it."""

    ON_TIME = "on_time"
    WARNING = "warning"  # most of the time is gone: someone should pick it up now
    BREACHED = "breached"  # past due; escalated to the team lead
    MET = "met"  # resolved within both targets
    MISSED = "missed"  # resolved, but a target was missed on the way


class InboxState(StrEnum):
    """A flagged reply in the inbox: nobody has looked, looked at, set aside, or given out."""

    NEW = "new"
    REVIEWED = "reviewed"
    DISMISSED = "dismissed"
    ASSIGNED = "assigned"


class TeamHours(Base):
    """When a team works, whose calendar's holidays it keeps, who leads it, and how much open
    work one person may be given by the rules. A team without a row uses the defaults in
    :mod:`staff.sla`."""

    __tablename__ = "team_hours"

    team: Mapped[str] = mapped_column(String(10), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    opens: Mapped[str] = mapped_column(String(5))  # "08:00", local to ``timezone``
    closes: Mapped[str] = mapped_column(String(5))
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # Monday is 0
    holiday_country: Mapped[str] = mapped_column(String(2))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    per_person_cap: Mapped[int] = mapped_column(Integer, default=10)


class SlaPolicy(Base):
    """One promise: for this team's items of this priority (a ticket's priority or an alert's
    severity), a first response and a resolution within so many business minutes."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("team", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(10))
    priority: Mapped[str] = mapped_column(String(10))
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)


class SlaClock(Base):
    """The promise made on one ticket or alert when it was opened, and how it went.

    Due and warning times are fixed when the clock starts (business hours and holidays are
    counted then), so a queue can sort and filter by them in SQL.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (UniqueConstraint("item_type", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type: Mapped[str] = mapped_column(String(10))  # "ticket" | "alert"
    item_id: Mapped[int] = mapped_column(Integer)
    team: Mapped[str] = mapped_column(String(10), index=True)
    priority: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_warn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_due: Mapped[datetime] = mapped_column(UTCDateTime())
    resolution_warn_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolution_due: Mapped[datetime] = mapped_column(UTCDateTime())
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_to: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class AssignmentTurn(Base):
    """Whose turn it is in a team's round robin: the last person the rules gave work to."""

    __tablename__ = "assignment_turns"

    team: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class SavedView(Base):
    """A queue's filters, named and kept by one staff user."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("staff_user_id", "queue", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    queue: Mapped[str] = mapped_column(String(10))  # "support" | "care"
    name: Mapped[str] = mapped_column(String(80))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class InboxItem(Base):
    """A flagged reply's place in the inbox. A flagged reply without a row is new."""

    __tablename__ = "inbox_items"

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default=InboxState.NEW, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
