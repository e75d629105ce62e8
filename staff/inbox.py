"""What the staff view reads: flagged replies with their tickets and alerts. No Flask here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from outreach.models import Direction, Message
from staff.models import Role
from surveys.models import Alert, Response, Team, Ticket

PER_PAGE = 50

CATEGORY_LABELS = {
    "timecard_pay": "Timecard / pay",
    "hours_scope": "Hours / scope",
    "client_conflict": "Client conflict",
    "equipment_access": "Equipment / access",
    "safety_harassment": "Safety / harassment",
    "contact_request": "Contact request",
    "how_to": "How-to question",
    "none": "None",
}


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize())


@dataclass(frozen=True)
class FlaggedReply:
    response: Response
    # Where the reply came from, for replies no contractor could be matched to.
    from_address: str | None


@dataclass(frozen=True)
class InboxPage:
    replies: list[FlaggedReply]
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, math.ceil(self.total / self.per_page)))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def flagged_replies(session: Session, page: int = 1, per_page: int = PER_PAGE) -> InboxPage:
    """One page of flagged replies, newest first, with contractor, tickets and alerts loaded."""
    if page < 1:
        raise ValueError("page must be 1 or more")
    total = session.scalar(select(func.count(Response.id)).where(Response.flagged)) or 0
    query = (
        select(Response)
        .where(Response.flagged)
        .order_by(Response.created_at.desc(), Response.id.desc())
        .options(
            selectinload(Response.contractor),
            selectinload(Response.tickets),
            selectinload(Response.alerts),
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    responses = list(session.scalars(query))
    senders = _sender_addresses(session, [r.id for r in responses if r.contractor_id is None])
    replies = [FlaggedReply(r, senders.get(r.id)) for r in responses]
    return InboxPage(replies=replies, page=page, per_page=per_page, total=total)


def _sender_addresses(session: Session, response_ids: list[int]) -> dict[int, str]:
    """The from address of the first inbound message of each reply."""
    if not response_ids:
        return {}
    query = (
        select(Message.response_id, Message.from_address)
        .where(Message.response_id.in_(response_ids), Message.direction == Direction.INBOUND)
        .order_by(Message.id)
    )
    senders: dict[int, str] = {}
    for response_id, address in session.execute(query):
        if response_id is not None:
            senders.setdefault(response_id, address)
    return senders


def can_view_ticket(role: str, ticket: Ticket) -> bool:
    """Support owns tickets; Care sees the ones handed to it; admin sees everything."""
    if role in (Role.ADMIN, Role.SUPPORT):
        return True
    return role == Role.CARE and ticket.team == Team.CARE


def can_view_alert(role: str, _alert: Alert | None = None) -> bool:
    return role in (Role.ADMIN, Role.CARE)


def ticket_with_replies(session: Session, ticket_id: int) -> Ticket | None:
    query = (
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(selectinload(Ticket.contractor), selectinload(Ticket.responses))
    )
    return session.scalars(query).first()


def alert_with_replies(session: Session, alert_id: int) -> Alert | None:
    query = (
        select(Alert)
        .where(Alert.id == alert_id)
        .options(selectinload(Alert.contractor), selectinload(Alert.responses))
    )
    return session.scalars(query).first()
