"""Queues a lead can steer: filters, text search and sort for the Support and Care queues.
No Flask: :meth:`Filters.parse` takes the query arguments as a plain mapping and names the
argument that is wrong; the ``narrow_*`` functions add the conditions to a select."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, exists, or_, select

from outreach.models import Contractor
from staff.errors import WorkError
from staff.work_models import SlaClock, SlaState
from surveys.categories import CATEGORIES, PRIORITIES
from surveys.models import Alert, Response, Severity, Ticket

SORTS = {
    "priority": "Most urgent first",
    "oldest": "Oldest first",
    "newest": "Newest first",
    "due": "Soonest due first",
}
SLA_FILTERS = (SlaState.ON_TIME, SlaState.WARNING, SlaState.BREACHED)
LANGUAGES = ("en", "es")
MAX_TEXT = 200


@dataclass(frozen=True)
class Filters:
    category: str = ""  # a ticket category, or an alert kind on Care's queue
    priority: str = ""  # a ticket priority, or an alert severity
    client: str = ""
    manager: str = ""  # the contractor's account manager
    assignee: str = ""  # "", "none", or a staff user id
    sla: str = ""
    language: str = ""
    q: str = ""
    sort: str = "priority"

    @classmethod
    def parse(cls, args: Mapping[str, str], *, kinds: tuple[str, ...] = CATEGORIES) -> Filters:
        """The filters in ``args``; a value that cannot be one raises WorkError naming it."""
        values = {f.name: (args.get(f.name) or "").strip() for f in fields(cls)}
        values["sort"] = values["sort"] or "priority"
        allowed: dict[str, tuple[str, ...]] = {
            "category": kinds,
            "priority": tuple(dict.fromkeys((*PRIORITIES, *Severity))),
            "sla": tuple(SLA_FILTERS),
            "language": LANGUAGES,
            "sort": tuple(SORTS),
        }
        for name, choices in allowed.items():
            if values[name] and values[name] not in choices:
                raise WorkError(
                    f"{name}={values[name]!r} is not one of {', '.join(choices)}.", name
                )
        assignee = values["assignee"]
        if assignee and assignee != "none" and not assignee.isdigit():
            raise WorkError(f"assignee={assignee!r} is not a staff member or 'none'.", "assignee")
        for name in ("client", "manager", "q"):
            if len(values[name]) > MAX_TEXT:
                raise WorkError(f"{name} is longer than {MAX_TEXT} characters.", name)
        return cls(**values)

    def as_args(self) -> dict[str, str]:
        """Only what differs from no filter at all, for links and saved views."""
        plain = Filters()
        return {k: v for k, v in asdict(self).items() if v != getattr(plain, k)}

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def _contractor_condition(column: Any, filters: Filters) -> list[Any]:
    conditions = []
    if filters.client:
        conditions.append(Contractor.client == filters.client)
    if filters.manager:
        conditions.append(Contractor.account_manager == filters.manager)
    if filters.language:
        conditions.append(Contractor.language == filters.language)
    if not conditions:
        return []
    return [column.in_(select(Contractor.id).where(*conditions))]


def _search(column: Any, text_columns: list[Any], q: str, replies: Any) -> Any:
    """Words in the contractor's name, client, address, the item's own text, or the replies
    it was raised from (``replies``: the item's relationship to Response)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    people = select(Contractor.id).where(
        or_(
            Contractor.name.ilike(pattern, escape="\\"),
            Contractor.client.ilike(pattern, escape="\\"),
            Contractor.email.ilike(pattern, escape="\\"),
            Contractor.phone.ilike(pattern, escape="\\"),
        )
    )
    found = [c.ilike(pattern, escape="\\") for c in text_columns] + [
        column.in_(people),
        replies.any(Response.text.ilike(pattern, escape="\\")),
    ]
    return or_(*found)


def _due(item_type: str, item_id: Any) -> Any:
    """The item's running due time, for sorting (items without a clock sort last)."""
    return (
        select(
            case(
                (SlaClock.first_responded_at.is_(None), SlaClock.first_response_due),
                else_=SlaClock.resolution_due,
            )
        )
        .where(SlaClock.item_type == item_type, SlaClock.item_id == item_id)
        .scalar_subquery()
    )


def _sla(item_type: str, item_id: Any, wanted: str, at: datetime) -> Any:
    responded = SlaClock.first_responded_at.is_not(None)
    breached = (~responded & (SlaClock.first_response_due <= at)) | (
        responded & (SlaClock.resolution_due <= at)
    )
    warning = ~breached & (
        (~responded & (SlaClock.first_response_warn_at <= at))
        | (responded & (SlaClock.resolution_warn_at <= at))
    )
    condition = {
        SlaState.BREACHED: breached,
        SlaState.WARNING: warning,
        SlaState.ON_TIME: ~breached & ~warning,
    }[SlaState(wanted)]
    return exists().where(
        SlaClock.item_type == item_type,
        SlaClock.item_id == item_id,
        SlaClock.resolved_at.is_(None),
        condition,
    )


def _common(
    query: Select[Any], model: Any, item_type: str, filters: Filters, at: datetime
) -> Select[Any]:
    query = query.where(*_contractor_condition(model.contractor_id, filters))
    if filters.assignee == "none":
        query = query.where(model.assignee_id.is_(None))
    elif filters.assignee:
        query = query.where(model.assignee_id == int(filters.assignee))
    if filters.sla:
        query = query.where(_sla(item_type, model.id, filters.sla, at))
    return query


def narrow_tickets(query: Select[Any], filters: Filters, at: datetime, urgency: Any) -> Select[Any]:
    if filters.category:
        query = query.where(Ticket.category == filters.category)
    if filters.priority:
        query = query.where(Ticket.priority == filters.priority)
    if filters.q:
        query = query.where(
            _search(Ticket.contractor_id, [Ticket.summary], filters.q, Ticket.responses)
        )
    query = _common(query, Ticket, "ticket", filters, at)
    return _sorted(query, Ticket, "ticket", filters.sort, urgency)


def narrow_alerts(query: Select[Any], filters: Filters, at: datetime, urgency: Any) -> Select[Any]:
    if filters.category:
        query = query.where(Alert.kind == filters.category)
    if filters.priority:
        query = query.where(Alert.severity == filters.priority)
    if filters.client:
        # A client hot-spot names its client and no contractor.
        query = query.where(
            or_(
                Alert.client == filters.client, *_contractor_condition(Alert.contractor_id, filters)
            )
        )
        filters = Filters(**{**asdict(filters), "client": ""})
    if filters.q:
        query = query.where(
            _search(Alert.contractor_id, [Alert.client], filters.q, Alert.responses)
        )
    query = _common(query, Alert, "alert", filters, at)
    return _sorted(query, Alert, "alert", filters.sort, urgency)


def _sorted(query: Select[Any], model: Any, item_type: str, sort: str, urgency: Any) -> Select[Any]:
    if sort == "priority":
        return query  # the queue's own order
    query = query.order_by(None)
    if sort == "oldest":
        return query.order_by(model.created_at, model.id)
    if sort == "newest":
        return query.order_by(model.created_at.desc(), model.id.desc())
    due = _due(item_type, model.id)
    return query.order_by(due.is_(None), due, urgency, model.created_at, model.id)
