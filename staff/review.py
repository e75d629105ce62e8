"""Staff reviewing what the reader read: "Needs a look", corrections, and how the reader does.

A review is a staff member's labels for one reply (category, negative, quit intent, opt-out),
stored beside the reader's with who and when (a :class:`~surveys.models.Correction`) and in the
audit log. The reply takes the staff labels at once, and the work follows them: a ticket moves to
the right category (or closes when there is no ticket to have), a quit-intent alert is raised, an
opt-out stops messages. The next ``surveys train`` learns from every review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.clock import now
from outreach import consent
from outreach.models import Channel
from staff import audit
from staff.errors import WorkError
from staff.paging import Page, page_of
from surveys import triage
from surveys.categories import CATEGORIES, PROBLEMS, TICKET_PRIORITY
from surveys.evaluation import Score
from surveys.models import OPEN_WORK, Correction, Response, Severity, TicketStatus

LABELS = ("category", "negative", "quit_intent", "opt_out")
PER_PAGE = 25
ACCURACY_WINDOW = timedelta(days=30)
_RECATEGORISED = "Recategorised by staff: this reply reports no problem for Support."


def labels_of(response: Response) -> dict[str, Any]:
    return {
        "category": response.category,
        "negative": bool(response.negative),
        "quit_intent": bool(response.quit_intent),
        "opt_out": bool((response.flags or {}).get("opt_out")),
    }


def parse_labels(form: Mapping[str, Any]) -> dict[str, Any]:
    """Labels from a review form; a missing checkbox is "no".

    Raises:
        WorkError: the category is not one of ours; names the field.
    """
    category = str(form.get("category") or "").strip()
    if category not in CATEGORIES:
        raise WorkError(f"category={category!r} is not one of {', '.join(CATEGORIES)}.", "category")
    labels: dict[str, Any] = {"category": category}
    for name in ("negative", "quit_intent", "opt_out"):
        labels[name] = str(form.get(name) or "").lower() in {"1", "y", "yes", "on", "true"}
    # The labelling guide's rule: a problem is negative whatever its tone.
    labels["negative"] = labels["negative"] or category in PROBLEMS or labels["quit_intent"]
    return labels


def needs_look(session: Session, page: int = 1, per_page: int = PER_PAGE) -> Page[Response]:
    """Replies the reader was unsure about that nobody has reviewed, newest first."""
    query = (
        select(Response)
        .where(Response.needs_look, Response.reviewed_at.is_(None))
        .order_by(Response.created_at.desc(), Response.id.desc())
        .options(
            selectinload(Response.contractor),
            selectinload(Response.tickets),
            selectinload(Response.alerts),
        )
    )
    total, query = page_of(session, query, page, per_page)
    return Page(items=list(session.scalars(query)), page=page, per_page=per_page, total=total)


def review(session: Session, response_id: int, labels: Mapping[str, Any], *, by: int) -> Correction:
    """Store a staff member's labels for one reply and make the work follow them."""
    response = session.get(Response, response_id)
    if response is None:
        raise WorkError(f"Reply #{response_id} does not exist.", "response")
    before = labels_of(response)
    after = {name: labels[name] for name in LABELS}
    correction = Correction(
        response_id=response.id,
        staff_user_id=by,
        before=before,
        after=after,
        model_version=response.model_version,
    )
    session.add(correction)
    response.category = after["category"]
    response.negative = after["negative"]
    response.quit_intent = after["quit_intent"]
    response.flags = {**(response.flags or {}), "opt_out": after["opt_out"], "reviewed": True}
    response.reviewed_at = now()
    response.needs_look = False
    if before["category"] != after["category"]:
        _recategorise(session, response, before["category"], after["category"])
    if after["quit_intent"] and not before["quit_intent"] and response.contractor is not None:
        triage.raise_alert(
            session,
            triage.AlertKind.QUIT_INTENT,
            Severity.URGENT,
            "said they may leave (staff review)",
            contractor_id=response.contractor.id,
            client=response.contractor.client,
            responses=[response],
        )
    if after["opt_out"] and not before["opt_out"]:
        _opt_out(session, response, by)
    changed = sorted(k for k in LABELS if before[k] != after[k])
    audit.record(
        session,
        by,
        "reply.review",
        "response",
        response.id,
        before=before,
        after=after,
        changed=changed,
        model=response.model_version,
    )
    session.flush()
    return correction


def _recategorise(session: Session, response: Response, old: str, new: str) -> None:
    for ticket in list(response.tickets):
        if ticket.category != old or ticket.status not in OPEN_WORK:
            continue
        if len(ticket.responses) > 1:
            # Other replies still report the old problem: only this one leaves the ticket.
            ticket.responses.remove(response)
            continue
        if new == "none":
            ticket.status = TicketStatus.RESOLVED
            ticket.resolution = _RECATEGORISED
            ticket.resolved_at = now()
        else:
            ticket.category = new
            ticket.priority = str(TICKET_PRIORITY[new])
        ticket.updated_at = now()
    if new != "none" and not any(t.category == new for t in response.tickets):
        triage.open_ticket(session, response, new, TICKET_PRIORITY.get(new), "staff review")


def _opt_out(session: Session, response: Response, by: int) -> None:
    contractor = response.contractor
    if contractor is None:
        return
    actor = f"staff:{by}"  # the staff user's id: the record outlives a changed email
    if contractor.phone:
        consent.record_opt_out(session, contractor.phone, Channel.SMS, source="staff", actor=actor)
    if contractor.email:
        consent.record_opt_out(
            session, contractor.email, Channel.EMAIL, source="staff", actor=actor
        )


@dataclass(frozen=True)
class Accuracy:
    reviewed: int
    agreed: dict[str, float]  # per label: the share of reviews where the reader's label stood
    score: Score  # the reader's labels scored against staff's
    waiting: int  # replies still in "Needs a look"


def accuracy(session: Session, window: timedelta = ACCURACY_WINDOW) -> Accuracy:
    """How the reader did on the replies staff reviewed in the last ``window``."""
    since = now() - window
    latest = (
        select(func.max(Correction.id))
        .where(Correction.created_at >= since)
        .group_by(Correction.response_id)
    )
    rows = list(session.scalars(select(Correction).where(Correction.id.in_(latest))))
    score = Score()
    agreed = dict.fromkeys(LABELS, 0)
    for row in rows:
        got, want = _Labels(row.before), _Labels(row.after)
        score.add(got, want)
        for name in LABELS:
            agreed[name] += row.before.get(name) == row.after.get(name)
    waiting = session.scalar(
        select(func.count())
        .select_from(Response)
        .where(Response.needs_look, Response.reviewed_at.is_(None))
    )
    return Accuracy(
        reviewed=len(rows),
        agreed={k: (v / len(rows) if rows else 0.0) for k, v in agreed.items()},
        score=score,
        waiting=int(waiting or 0),
    )


class _Labels:
    def __init__(self, labels: Mapping[str, Any]) -> None:
        self.category = str(labels.get("category", "none"))
        self.negative = bool(labels.get("negative"))
        self.quit_intent = bool(labels.get("quit_intent"))
        self.opt_out = bool(labels.get("opt_out"))
