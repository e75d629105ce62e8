"""Bulk actions on a queue: assign or resolve many tickets or alerts at once. No Flask.

Each item is tried on its own (a savepoint each), so one that cannot be changed (resolved
meanwhile, another team's) is reported by number and the rest still go through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from staff import alerts, assignment, tickets
from staff.errors import NotFound, WorkError, required_text

ACTIONS = ("assign", "resolve")
MAX_ITEMS = 200


@dataclass
class Outcome:
    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def parse_ids(raw: Iterable[str]) -> list[int]:
    """The ticked items' ids; anything that is not one is an error naming ``ids``."""
    ids: list[int] = []
    for value in raw:
        if not value.isdigit():
            raise WorkError(f"{value!r} is not an item number.", "ids")
        ids.append(int(value))
    if not ids:
        raise WorkError("Tick at least one item first.", "ids")
    if len(ids) > MAX_ITEMS:
        raise WorkError(f"{len(ids)} items ticked; at most {MAX_ITEMS} at once.", "ids")
    return list(dict.fromkeys(ids))


def _each(session: Session, ids: list[int], change: Callable[[int], object]) -> Outcome:
    outcome = Outcome()
    for item_id in ids:
        try:
            with session.begin_nested():
                change(item_id)
        except (WorkError, NotFound) as exc:
            outcome.failed.append((item_id, str(exc)))
        else:
            outcome.done.append(item_id)
    return outcome


def _assignee(raw: str) -> int | None:
    if raw in ("", "none"):
        return None
    if not raw.isdigit():
        raise WorkError(f"Assignee {raw!r} is not a staff member.", "assignee")
    return int(raw)


def tickets_action(
    session: Session,
    ids: list[int],
    action: str,
    *,
    by: int,
    role: str,
    assignee: str = "",
    note: str = "",
) -> Outcome:
    if action not in ACTIONS:
        raise WorkError(f"Action {action!r} is not one of {', '.join(ACTIONS)}.", "action")
    if action == "assign":
        person = _assignee(assignee)

        def change(ticket_id: int) -> object:
            _may_work(session, ticket_id, role)
            return tickets.assign(session, ticket_id, person, by=by)
    else:
        text = required_text(note, "note", "The resolution")

        def change(ticket_id: int) -> object:
            _may_work(session, ticket_id, role)
            return tickets.resolve(session, ticket_id, text, by=by)

    return _each(session, ids, change)


def _may_work(session: Session, ticket_id: int, role: str) -> None:
    ticket = tickets.get_ticket(session, ticket_id)
    if not tickets.can_work(role, ticket):
        raise WorkError(f"Ticket #{ticket_id} is with {ticket.team.capitalize()}.")


def alerts_action(
    session: Session, ids: list[int], action: str, *, by: int, assignee: str = "", note: str = ""
) -> Outcome:
    if action not in ACTIONS:
        raise WorkError(f"Action {action!r} is not one of {', '.join(ACTIONS)}.", "action")
    if action == "assign":
        person = _assignee(assignee)
        return _each(session, ids, lambda i: assignment.assign_alert(session, i, person, by=by))
    text = required_text(note, "note", "The outcome")
    return _each(session, ids, lambda i: alerts.resolve(session, i, text, by=by))


def summary(outcome: Outcome, noun: str, verb: str) -> str:
    done = ", ".join(f"#{i}" for i in outcome.done) or "none"
    message = f"{verb.capitalize()} {len(outcome.done)} {noun}(s): {done}."
    if outcome.failed:
        message += " Not changed: " + "; ".join(f"#{i}: {why}" for i, why in outcome.failed)
    return message
