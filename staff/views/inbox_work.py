"""The flagged-reply inbox's states: the state tabs and the bulk form that moves replies
between new, reviewed, dismissed and assigned."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from staff import accounts, bulk, inbox_states
from staff.auth import any_staff
from staff.models import StaffUser
from staff.views import bp, commit_or_flash


def inbox_steering(session: Session, state: str, response_ids: list[int]) -> dict[str, Any]:
    rows = inbox_states.states_of(session, response_ids)
    return {
        "inbox_state": state,
        "inbox_states": inbox_states.STATE_LABELS,
        "reply_states": {i: row.state for i, row in rows.items()},
        "reply_holders": accounts.emails(session, {row.assignee_id for row in rows.values()}),
        "reply_assignees": {i: row.assignee_id for i, row in rows.items()},
        "inbox_people": list(
            session.scalars(
                select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.email)
            )
        ),
    }


@bp.post("/replies/state")
@any_staff
def set_reply_state() -> ResponseReturnValue:

    def mark(session: Session) -> str:
        ids = bulk.parse_ids(request.form.getlist("replies"))
        outcome = inbox_states.set_state(
            session,
            ids,
            request.form.get("state", ""),
            by=current_user.id,
            assignee=request.form.get("assignee", ""),
        )
        label = inbox_states.STATE_LABELS.get(request.form.get("state", ""), "")
        return bulk.summary(outcome, "reply", f"marked {label.lower()}")

    commit_or_flash(mark, "Nothing changed: ")
    back: dict[str, Any] = {"state": request.form["f_state"]} if request.form.get("f_state") else {}
    return redirect(url_for("staff.flagged_replies", **back), 303)
