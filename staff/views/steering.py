"""Steering the queues: what the filter bar, saved views, bulk actions, SLA column and linked
items need, and the routes that save views, act in bulk and resolve linked work together.

Forms here post plain fields; the app-wide hook (staff/__init__.py) checks their CSRF token
before any view runs, as it does for every staff form.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import request_session
from outreach.models import Contractor
from staff import alerts, bulk, inbox, linked, queue_filters, saved_views, sla, tickets
from staff.auth import role_required
from staff.errors import NotFound, WorkError
from staff.models import Role, StaffUser
from staff.queue_filters import Filters
from staff.views import bp, commit_or_flash, done
from surveys.categories import CATEGORIES

QUEUE_ENDPOINTS = {"support": "staff.support_queue", "care": "staff.care_queue"}
QUEUE_ROLES = {"support": (Role.SUPPORT, Role.ADMIN), "care": (Role.CARE, Role.ADMIN)}
REFRESH_SECONDS = 15


def parse_filters(queue: str) -> Filters:
    kinds = tuple(alerts.KIND_LABELS) if queue == "care" else CATEGORIES
    try:
        return Filters.parse(request.args, kinds=kinds)
    except WorkError as exc:
        abort(400, str(exc))


def sla_labels(session: Session, item_type: str, ids: set[int]) -> dict[int, tuple[str, str]]:
    """Per item: its SLA state and the time left, for the queue's column."""
    at = now()
    return {
        item_id: (sla.state(clock, at), sla.describe(session, clock, at))
        for item_id, clock in sla.clocks_for(session, item_type, ids).items()
    }


def steering(session: Session, queue: str, view: str, filters: Filters) -> dict[str, Any]:
    """What the queue templates need for the filter bar, saved views and bulk forms."""
    team = "care" if queue == "care" else "support"
    kinds: list[tuple[str, str]]
    if queue == "care":
        kinds = [(k, alerts.kind_label(k)) for k in alerts.KIND_LABELS]
    else:
        kinds = [(c, inbox.category_label(c)) for c in CATEGORIES if c != "none"]
    people = tickets.workers_for(session, team)
    return {
        "queue": queue,
        "filters": filters,
        "filter_values": filters.as_args(),
        "filter_options": {
            "category": kinds,
            "priority": [(p, p.capitalize()) for p in ("urgent", "high", "normal", "low")],
            "client": [
                (c, c)
                for c in session.scalars(
                    select(Contractor.client).distinct().order_by(Contractor.client)
                )
            ],
            "manager": [
                (m, m)
                for m in session.scalars(
                    select(Contractor.account_manager)
                    .distinct()
                    .order_by(Contractor.account_manager)
                )
            ],
            "assignee": [("none", "Nobody")] + [(str(p.id), p.email) for p in people],
            "sla": [(s, sla.STATE_LABELS[s]) for s in queue_filters.SLA_FILTERS],
            "language": [("en", "English"), ("es", "Spanish")],
        },
        "sorts": queue_filters.SORTS,
        "saved": saved_views.for_user(session, current_user.id, queue),
        "people": people,
        "refresh_seconds": _refresh_seconds(),
        "list_args": {"view": view, **filters.as_args()},
    }


def _refresh_seconds() -> int:
    return int(current_app.config.get("STAFF_REFRESH_SECONDS", REFRESH_SECONDS))


def _back(queue: str) -> ResponseReturnValue:
    """To the queue as the form found it (its view and filters ride along as hidden fields)."""
    args: dict[str, Any] = {
        k.removeprefix("f_"): v for k, v in request.form.items() if k.startswith("f_") and v
    }
    return redirect(url_for(QUEUE_ENDPOINTS[queue], **args), 303)


def _queue_or_404(queue: str) -> str:
    if queue not in QUEUE_ENDPOINTS:
        abort(404)
    if current_user.role not in QUEUE_ROLES[queue]:
        abort(403)
    return queue


@bp.post("/<queue>/views")
@role_required(Role.SUPPORT, Role.CARE)
def save_view(queue: str) -> ResponseReturnValue:
    _queue_or_404(queue)
    form_filters = {k.removeprefix("f_"): v for k, v in request.form.items() if k.startswith("f_")}

    def save(session: Session) -> str:
        kinds = tuple(alerts.KIND_LABELS) if queue == "care" else CATEGORIES
        filters = Filters.parse(form_filters, kinds=kinds)
        view = saved_views.save(
            session, current_user.id, queue, request.form.get("name", ""), filters
        )
        return f"Saved view “{view.name}”."

    commit_or_flash(save, "The view was not saved: ")
    return _back(queue)


@bp.post("/<queue>/views/<int:view_id>/delete")
@role_required(Role.SUPPORT, Role.CARE)
def delete_view(queue: str, view_id: int) -> ResponseReturnValue:
    _queue_or_404(queue)
    session = request_session()
    name = saved_views.delete(session, current_user.id, view_id)
    session.commit()
    done(f"Deleted view “{name}”.")
    return redirect(url_for(QUEUE_ENDPOINTS[queue]), 303)


@bp.post("/<queue>/bulk")
@role_required(Role.SUPPORT, Role.CARE)
def bulk_action(queue: str) -> ResponseReturnValue:
    _queue_or_404(queue)
    action = request.form.get("action", "")
    fields = {
        "by": current_user.id,
        "assignee": request.form.get("assignee", ""),
        "note": request.form.get("note", ""),
    }

    def act(session: Session) -> str:
        ticket_ids = request.form.getlist("tickets")
        alert_ids = request.form.getlist("alerts")
        if not ticket_ids and not alert_ids:
            raise WorkError("Tick at least one item first.", "ids")
        messages = []
        if ticket_ids:
            outcome = bulk.tickets_action(
                session, bulk.parse_ids(ticket_ids), action, role=current_user.role, **fields
            )
            messages.append(bulk.summary(outcome, "ticket", _verb(action)))
        if alert_ids:
            outcome = bulk.alerts_action(session, bulk.parse_ids(alert_ids), action, **fields)
            messages.append(bulk.summary(outcome, "alert", _verb(action)))
        return " ".join(messages)

    commit_or_flash(act, "Nothing changed: ")
    return _back(queue)


def _verb(action: str) -> str:
    return {"assign": "assigned", "resolve": "resolved"}.get(action, action)


@bp.post("/linked/resolve")
@role_required(Role.SUPPORT, Role.CARE)
def resolve_linked() -> ResponseReturnValue:
    back = request.form.get("back", "")
    kind, _, number = back.partition("-")
    if kind not in ("ticket", "alert") or not number.isdigit():
        abort(400, "back must name the ticket or alert the form was on.")
    target = (
        url_for("staff.ticket", ticket_id=int(number))
        if kind == "ticket"
        else url_for("staff.alert", alert_id=int(number))
    )

    def resolve(session: Session) -> str:
        keys = linked.parse_keys(request.form.getlist("items"))
        resolved, failed = linked.resolve_together(
            session,
            keys,
            request.form.get("outcome", ""),
            by=current_user.id,
            role=current_user.role,
        )
        message = f"Resolved {', '.join(resolved) or 'nothing'}."
        if failed:
            message += " Not resolved: " + "; ".join(failed)
        return message

    commit_or_flash(resolve, "Nothing resolved: ")
    return redirect(target, 303)


def item_context(session: Session, item_type: str, item_id: int) -> dict[str, Any]:
    """For the ticket and alert pages: the item's SLA and the work linked to it."""
    try:
        links = linked.linked(session, item_type, item_id)
    except NotFound:
        links = []
    clock = sla.clocks_for(session, item_type, {item_id}).get(item_id)
    return {
        "sla_clock": clock,
        "sla_state": sla.state(clock) if clock else None,
        "sla_text": sla.describe(session, clock) if clock else None,
        "sla_state_labels": sla.STATE_LABELS,
        "escalated_to": (
            assignment_email(session, clock.escalated_to) if clock and clock.escalated_to else None
        ),
        "links": links,
        "link_key": f"{item_type}-{item_id}",
    }


def assignment_email(session: Session, user_id: int) -> str | None:
    person = session.get(StaffUser, user_id)
    return person.email if person else None


@bp.context_processor
def _steering_helpers() -> dict[str, Any]:
    return {
        "work_extras": lambda item_type, item_id: item_context(
            request_session(), item_type, item_id
        ),
        "sla_state_label": lambda state: sla.STATE_LABELS.get(state, state),
    }
