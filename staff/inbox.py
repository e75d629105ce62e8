"""What the staff view reads: flagged replies with their tickets and alerts, and the filters
staff narrow them with. No Flask here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, not_, or_, select
from sqlalchemy.orm import Session, selectinload

from outreach.models import Contractor, Direction, Message
from staff.errors import WorkError
from staff.models import Role
from staff.paging import Page, page_of
from surveys.categories import PRIORITIES
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
TEAM_CHOICES = {"support": "Support", "care": "Care", "none": "No ticket or alert"}
# A ticket's priority or an alert's severity: every alert severity is also a priority.
SEVERITIES: tuple[str, ...] = PRIORITIES


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize())


@dataclass(frozen=True)
class ReplyFilters:
    """How staff narrow the replies they look at; empty means "any"."""

    team: str = ""  # support, care or none (neither a ticket nor an alert)
    category: str = ""
    severity: str = ""  # a ticket's priority or an alert's severity
    client: str = ""
    manager: str = ""
    date_from: date | None = None  # UTC dates, both ends included
    date_to: date | None = None
    q: str = ""  # words in the reply or the contractor's name

    def as_args(self) -> dict[str, str]:
        """The filters that are set, as query-string arguments."""
        return {
            k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items() if v
        }

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def _date(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise WorkError(f"{name}={raw!r} is not a date: expected YYYY-MM-DD.", name) from None


def parse_filters(args: Mapping[str, str]) -> ReplyFilters:
    """Read filters from a query string.

    Raises:
        WorkError: a value is not one of its choices, or a date is malformed; names the field.
    """
    values: dict[str, Any] = {
        name: (args.get(name) or "").strip()[:200]
        for name in ("team", "category", "severity", "client", "manager", "q")
    }
    for name, allowed in (
        ("team", TEAM_CHOICES),
        ("category", CATEGORY_LABELS),
        ("severity", SEVERITIES),
    ):
        if values[name] and values[name] not in allowed:
            raise WorkError(f"{name}={values[name]!r} is not one of {', '.join(allowed)}.", name)
    values["date_from"] = _date(args, "date_from")
    values["date_to"] = _date(args, "date_to")
    if values["date_from"] and values["date_to"] and values["date_from"] > values["date_to"]:
        raise WorkError("date_from is after date_to.", "date_from")
    return ReplyFilters(**values)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def apply_filters(query: Select[Any], filters: ReplyFilters) -> Select[Any]:
    """Narrow a query over Response to the replies that ``filters`` let through."""
    if filters.team == "support":
        query = query.where(Response.tickets.any(Ticket.team == Team.SUPPORT))
    elif filters.team == "care":
        query = query.where(
            or_(Response.alerts.any(), Response.tickets.any(Ticket.team == Team.CARE))
        )
    elif filters.team == "none":
        query = query.where(not_(Response.tickets.any()), not_(Response.alerts.any()))
    if filters.category:
        query = query.where(Response.category == filters.category)
    if filters.severity:
        query = query.where(
            or_(
                Response.tickets.any(Ticket.priority == filters.severity),
                Response.alerts.any(Alert.severity == filters.severity),
            )
        )
    if filters.client:
        query = query.where(Response.contractor.has(Contractor.client == filters.client))
    if filters.manager:
        query = query.where(Response.contractor.has(Contractor.account_manager == filters.manager))
    if filters.date_from:
        query = query.where(Response.created_at >= start_of(filters.date_from))
    if filters.date_to:
        query = query.where(Response.created_at < start_of(filters.date_to + timedelta(days=1)))
    if filters.q:
        query = query.where(
            or_(
                Response.text.icontains(filters.q, autoescape=True),
                Response.contractor.has(Contractor.name.icontains(filters.q, autoescape=True)),
            )
        )
    return query


@dataclass(frozen=True)
class FilterChoices:
    clients: list[str]
    managers: list[str]


def filter_choices(session: Session) -> FilterChoices:
    return FilterChoices(
        clients=list(
            session.scalars(select(Contractor.client).distinct().order_by(Contractor.client))
        ),
        managers=list(
            session.scalars(
                select(Contractor.account_manager).distinct().order_by(Contractor.account_manager)
            )
        ),
    )


def filter_options(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The choices of each filter, as (value, label) pairs."""
    choices = filter_choices(session)
    return {
        "team": list(TEAM_CHOICES.items()),
        "category": [(k, v) for k, v in CATEGORY_LABELS.items() if k != "none"],
        "severity": [(s, s.capitalize()) for s in SEVERITIES],
        "client": [(c, c) for c in choices.clients],
        "manager": [(m, m) for m in choices.managers],
    }


@dataclass(frozen=True)
class FlaggedReply:
    response: Response
    # Where the reply came from, for replies no contractor could be matched to.
    from_address: str | None


def flagged_replies(
    session: Session,
    filters: ReplyFilters | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    where: Sequence[Any] = (),
) -> Page[FlaggedReply]:
    """One page of flagged replies, newest first, with contractor, tickets and alerts loaded;
    ``where`` adds conditions over Response (the inbox state, see staff.inbox_states)."""
    if page < 1:
        raise ValueError("page must be 1 or more")
    query = apply_filters(
        select(Response).where(Response.flagged, *where), filters or ReplyFilters()
    )
    total, query = page_of(
        session,
        query.order_by(Response.created_at.desc(), Response.id.desc()).options(
            selectinload(Response.contractor),
            selectinload(Response.tickets),
            selectinload(Response.alerts),
        ),
        page,
        per_page,
    )
    responses = list(session.scalars(query))
    senders = sender_addresses(session, [r.id for r in responses if r.contractor_id is None])
    replies = [FlaggedReply(r, senders.get(r.id)) for r in responses]
    return Page(items=replies, page=page, per_page=per_page, total=total)


def sender_addresses(session: Session, response_ids: list[int]) -> dict[int, str]:
    """The from address of the first inbound message of each reply."""
    if not response_ids:
        return {}
    query = (
        select(Message.response_id, Message.from_address)
        .where(and_(Message.response_id.in_(response_ids), Message.direction == Direction.INBOUND))
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
