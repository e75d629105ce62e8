"""Linked work: the other open tickets and alerts raised by the same reply, or about the same
contractor, shown together so resolving one can resolve the rest. No Flask.

Links are read from what is stored (the reply each item was raised from, its contractor), so
they need no upkeep and hold for items raised before this existed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from staff import alerts, tickets
from staff.errors import NotFound, WorkError, required_text
from surveys.models import (
    Alert,
    AlertStatus,
    Ticket,
    TicketStatus,
    alert_responses,
    ticket_responses,
)

SAME_REPLY = "raised by the same reply"
SAME_CONTRACTOR = "about the same contractor"


@dataclass(frozen=True)
class Link:
    item_type: str  # "ticket" | "alert"
    item: Ticket | Alert
    why: str

    @property
    def key(self) -> str:
        return f"{self.item_type}-{self.item.id}"


def _responses_of(item: Ticket | Alert) -> set[int]:
    return {r.id for r in item.responses}


def linked(session: Session, item_type: str, item_id: int) -> list[Link]:
    """Other open items linked to this one, those from the same reply first."""
    item: Ticket | Alert | None = (
        session.get(Ticket, item_id) if item_type == "ticket" else session.get(Alert, item_id)
    )
    if item is None:
        raise NotFound(f"There is no {item_type} #{item_id}.")
    replies = _responses_of(item)
    found: dict[tuple[str, int], Link] = {}
    if replies:
        same_reply_tickets = select(ticket_responses.c.ticket_id).where(
            ticket_responses.c.response_id.in_(replies)
        )
        same_reply_alerts = select(alert_responses.c.alert_id).where(
            alert_responses.c.response_id.in_(replies)
        )
        for ticket in session.scalars(
            select(Ticket).where(
                Ticket.id.in_(same_reply_tickets), Ticket.status != TicketStatus.RESOLVED
            )
        ):
            found[("ticket", ticket.id)] = Link("ticket", ticket, SAME_REPLY)
        for alert in session.scalars(
            select(Alert).where(
                Alert.id.in_(same_reply_alerts), Alert.status != AlertStatus.RESOLVED
            )
        ):
            found.setdefault(("alert", alert.id), Link("alert", alert, SAME_REPLY))
    if item.contractor_id is not None:
        for ticket in session.scalars(
            select(Ticket).where(
                Ticket.contractor_id == item.contractor_id, Ticket.status != TicketStatus.RESOLVED
            )
        ):
            found.setdefault(("ticket", ticket.id), Link("ticket", ticket, SAME_CONTRACTOR))
        for alert in session.scalars(
            select(Alert).where(
                Alert.contractor_id == item.contractor_id, Alert.status != AlertStatus.RESOLVED
            )
        ):
            found.setdefault(("alert", alert.id), Link("alert", alert, SAME_CONTRACTOR))
    found.pop((item_type, item_id), None)
    return sorted(found.values(), key=lambda link: (link.why != SAME_REPLY, link.key))


def parse_keys(raw: list[str]) -> list[tuple[str, int]]:
    keys = []
    for value in raw:
        kind, _, number = value.partition("-")
        if kind not in ("ticket", "alert") or not number.isdigit():
            raise WorkError(f"{value!r} is not a ticket or alert.", "items")
        keys.append((kind, int(number)))
    if not keys:
        raise WorkError("Tick at least one linked item to resolve.", "items")
    return keys


def resolve_together(
    session: Session, keys: list[tuple[str, int]], outcome: str, *, by: int, role: str
) -> tuple[list[str], list[str]]:
    """Resolve the chosen linked items with one outcome; each on its own, so one that cannot
    be (already resolved, another team's) is named and the rest still go."""
    text = required_text(outcome, "outcome", "The outcome")
    done: list[str] = []
    failed: list[str] = []
    for kind, number in keys:
        label = f"{kind} #{number}"
        try:
            with session.begin_nested():
                if kind == "ticket":
                    ticket = tickets.get_ticket(session, number)
                    if not tickets.can_work(role, ticket):
                        raise WorkError(f"it is with {ticket.team.capitalize()}")
                    tickets.resolve(session, number, text, by=by)
                else:
                    if role not in ("care", "admin"):
                        raise WorkError("alerts are Care's to resolve")
                    alerts.resolve(session, number, text, by=by)
        except (WorkError, NotFound) as exc:
            failed.append(f"{label}: {exc}")
        else:
            done.append(label)
    return done, failed
