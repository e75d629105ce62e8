"""Care's work on alerts: acknowledge, log outreach, escalate, resolve. No Flask.

As with tickets, each function records its audit event in the caller's session and the caller
commits, so an action and its trail are stored together.
"""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, selectinload

from core.clock import now
from outreach.models import Channel
from staff import audit, contractors, queue_filters, worknotes
from staff.errors import NotFound, WorkError, required_text
from staff.models import OUTREACH_KINDS, NoteKind, StaffUser, WorkNote
from staff.paging import Page, page_of
from staff.queue_filters import Filters
from surveys.models import Alert, AlertKind, AlertStatus, Response, Severity

OPEN, ACKNOWLEDGED, ESCALATED, RESOLVED = tuple(AlertStatus)
STATUSES: tuple[str, ...] = tuple(AlertStatus)
SEVERITIES: tuple[str, ...] = tuple(Severity)
SEVERITY_RANK = {s: n for n, s in enumerate(SEVERITIES)}
QUEUE_VIEWS = ("open", "mine", "unassigned", "escalated", "resolved")
OUTREACH_METHODS = tuple(k.value for k in OUTREACH_KINDS)

KIND_LABELS: dict[str, str] = {
    AlertKind.QUIT_INTENT: "Said they may leave",
    AlertKind.LOW_RATING_STREAK: "Low ratings in a row",
    AlertKind.BASELINE_DROP: "Below their usual rating",
    AlertKind.EARLY_TENURE: "Early-tenure risk",
    AlertKind.SILENCE: "Gone quiet",
    AlertKind.CLIENT_HOTSPOT: "Client hot-spot",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.scalars(
        select(Alert)
        .where(Alert.id == alert_id)
        .options(
            selectinload(Alert.contractor),
            selectinload(Alert.responses).selectinload(Response.contractor),
        )
    ).first()
    if alert is None:
        raise NotFound(f"There is no alert #{alert_id}.")
    return alert


def notes(session: Session, alert_id: int) -> list[WorkNote]:
    return worknotes.on_alert(session, alert_id)


def _open(alert: Alert) -> None:
    if alert.status == RESOLVED:
        raise WorkError(f"Alert #{alert.id} is resolved.", "status")


def acknowledge(session: Session, alert_id: int, *, by: int) -> Alert:
    """Say "I have this one". Two people at once: the first one gets it."""
    taken = session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status == OPEN)
        .values(status=ACKNOWLEDGED, assignee_id=by, updated_at=now())
    )
    alert = get_alert(session, alert_id)
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        _open(alert)
        holder = session.get(StaffUser, alert.assignee_id) if alert.assignee_id else None
        who = f" by {holder.email}" if holder else ""
        raise WorkError(f"Alert #{alert.id} is already {alert.status}{who}.")
    session.refresh(alert)
    audit.record(session, by, "alert_acknowledged", "alert", alert.id)
    return alert


def log_outreach(session: Session, alert_id: int, method: str, note: str, *, by: int) -> WorkNote:
    """Record that Care called, texted or emailed the contractor, and what came of it.

    Reaching out to someone is taking the alert on, so an open alert becomes acknowledged.
    """
    if method not in OUTREACH_METHODS:
        raise WorkError(f"Method {method!r} is not one of {', '.join(OUTREACH_METHODS)}.", "method")
    text = required_text(note, "note", "The note on the outreach")
    alert = get_alert(session, alert_id)
    _open(alert)
    if method in (NoteKind.TEXT, NoteKind.EMAIL):
        # A text or an email is sent, not just written down: by the one delivery path, which
        # refuses an opted-out contractor here and checks consent again when it goes.
        if alert.contractor_id is None:
            raise WorkError(f"Alert #{alert.id} has no contractor to write to.", "method")
        contractors.queue_reply(
            session,
            alert.contractor_id,
            Channel.SMS if method == NoteKind.TEXT else Channel.EMAIL,
            text,
            "About your assignment" if method == NoteKind.EMAIL else None,
            by=by,
        )
    entry = worknotes.write(session, alert, method, text, by)
    if alert.status == OPEN:
        alert.status = ACKNOWLEDGED
        alert.assignee_id = by
    alert.updated_at = now()
    session.flush()
    audit.record(
        session, by, "care_outreach_logged", "alert", alert.id, method=method, note_id=entry.id
    )
    return entry


def escalate(session: Session, alert_id: int, reason: str, *, by: int) -> Alert:
    """More than Care can settle alone: it goes to the top of the queue, flagged for a lead."""
    text = required_text(reason, "reason", "The reason for escalating")
    alert = get_alert(session, alert_id)
    _open(alert)
    if alert.status == ESCALATED:
        raise WorkError(f"Alert #{alert.id} is already escalated.", "status")
    before = alert.status
    alert.status = ESCALATED
    if alert.assignee_id is None:
        alert.assignee_id = by
    alert.updated_at = now()
    worknotes.write(session, alert, NoteKind.ESCALATION, text, by)
    audit.record(session, by, "alert_escalated", "alert", alert.id, before=before)
    return alert


def resolve(session: Session, alert_id: int, outcome: str, *, by: int) -> Alert:
    text = required_text(outcome, "outcome", "The outcome")
    alert = get_alert(session, alert_id)
    _open(alert)
    current = now()
    before = alert.status
    alert.status = RESOLVED
    alert.resolved_at = current
    alert.updated_at = current
    if alert.assignee_id is None:
        alert.assignee_id = by
    worknotes.write(session, alert, NoteKind.RESOLUTION, text, by)
    audit.record(session, by, "alert_resolved", "alert", alert.id, before=before)
    return alert


def queue(
    session: Session,
    *,
    view: str = "open",
    user_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    filters: Filters | None = None,
) -> Page[Alert]:
    """Care's alerts: escalated and urgent first, then the oldest first; ``filters`` narrow
    and re-sort them (see :mod:`staff.queue_filters`)."""
    if view not in QUEUE_VIEWS:
        raise WorkError(f"view={view!r} is not one of {', '.join(QUEUE_VIEWS)}.", "view")
    query = select(Alert)
    if view == "resolved":
        query = query.where(Alert.status == RESOLVED).order_by(
            Alert.resolved_at.desc(), Alert.id.desc()
        )
    else:
        query = query.where(Alert.status != RESOLVED)
        if view == "mine":
            query = query.where(Alert.assignee_id == user_id)
        elif view == "unassigned":
            query = query.where(Alert.assignee_id.is_(None))
        elif view == "escalated":
            query = query.where(Alert.status == ESCALATED)
        query = query.order_by(
            case((Alert.status == ESCALATED, 0), else_=1),
            case(SEVERITY_RANK, value=Alert.severity, else_=len(SEVERITIES)),
            Alert.created_at,
            Alert.id,
        )
    if filters is not None:
        urgency = case(SEVERITY_RANK, value=Alert.severity, else_=len(SEVERITIES))
        query = queue_filters.narrow_alerts(query, filters, now(), urgency)
    total, query = page_of(session, query.options(selectinload(Alert.contractor)), page, per_page)
    items = list(session.scalars(query))
    return Page(items=items, page=page, per_page=per_page, total=total)
