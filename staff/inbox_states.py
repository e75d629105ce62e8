"""The flagged-reply inbox's states: new (nobody has looked), reviewed, dismissed, or assigned
to someone. No Flask. A flagged reply without a row is new, so replies flagged before this
existed need no backfill. Every change is audited, one event per reply."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.clock import now
from staff import audit
from staff.bulk import Outcome
from staff.errors import WorkError
from staff.models import StaffUser
from staff.work_models import InboxItem, InboxState
from surveys.models import Response

STATES: tuple[str, ...] = tuple(InboxState)
STATE_LABELS: dict[str, str] = {
    InboxState.NEW.value: "New",
    InboxState.REVIEWED.value: "Reviewed",
    InboxState.DISMISSED.value: "Dismissed",
    InboxState.ASSIGNED.value: "Assigned",
}


def parse_state(raw: str | None) -> str:
    value = (raw or "").strip()
    if value and value not in STATES:
        raise WorkError(f"state={value!r} is not one of {', '.join(STATES)}.", "state")
    return value


def condition(state: str) -> Any:
    """SQL over Response: the reply is in ``state`` in the inbox."""
    if state == InboxState.NEW:
        return ~exists().where(
            InboxItem.response_id == Response.id, InboxItem.state != InboxState.NEW
        )
    return exists().where(InboxItem.response_id == Response.id, InboxItem.state == state)


def states_of(session: Session, response_ids: Iterable[int]) -> dict[int, InboxItem]:
    wanted = set(response_ids)
    if not wanted:
        return {}
    rows = session.scalars(select(InboxItem).where(InboxItem.response_id.in_(wanted)))
    return {row.response_id: row for row in rows}


def set_state(
    session: Session, response_ids: list[int], state: str, *, by: int, assignee: str = ""
) -> Outcome:
    """Move each reply to ``state`` (assigned needs ``assignee``, a staff user id); a reply
    that is not a flagged one is named and the rest still move."""
    if state not in STATES:
        raise WorkError(f"State {state!r} is not one of {', '.join(STATES)}.", "state")
    person: int | None = None
    if state == InboxState.ASSIGNED:
        if not assignee.isdigit():
            raise WorkError("Choose who to assign the replies to.", "assignee")
        found = session.get(StaffUser, int(assignee))
        if found is None or not found.active:
            raise WorkError("That staff member does not exist or is switched off.", "assignee")
        person = found.id
    outcome = Outcome()
    known = states_of(session, response_ids)
    for response_id in response_ids:
        response = session.get(Response, response_id)
        if response is None or not response.flagged:
            outcome.failed.append((response_id, f"Reply #{response_id} is not a flagged reply."))
            continue
        row = known.get(response_id)
        before = row.state if row is not None else InboxState.NEW
        if row is None:
            row = InboxItem(response_id=response_id)
            session.add(row)
        row.state = state
        row.assignee_id = person
        row.updated_by = by
        row.updated_at = now()
        audit.record(
            session,
            by,
            "inbox_state_changed",
            "response",
            response_id,
            before=before,
            after=state,
            assignee=person,
        )
        outcome.done.append(response_id)
    return outcome
