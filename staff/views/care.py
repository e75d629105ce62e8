"""Care's queue and the alert page with its actions."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from core.db import request_session
from staff import accounts, alerts, tickets
from staff.auth import role_required
from staff.forms import AcknowledgeForm, ActionForm, CloseAlertForm, EscalateForm, OutreachForm
from staff.models import Role
from staff.views import bp, commit_form, page_arg, steering, view_arg
from surveys.models import Alert, Team

CARE_VIEWS = {
    "open": "All open",
    "mine": "Mine",
    "unassigned": "Unacknowledged",
    "escalated": "Escalated",
    "resolved": "Resolved",
}


@bp.get("/care")
@role_required(Role.CARE)
def care_queue() -> ResponseReturnValue:
    view = view_arg(CARE_VIEWS)
    page_number = page_arg()
    session = request_session()
    filters = steering.parse_filters("care")
    page = alerts.queue(
        session, view=view, user_id=current_user.id, page=page_number, filters=filters
    )
    ticket_view = view if view in ("mine", "unassigned", "resolved") else "open"
    handed = tickets.queue(session, Team.CARE, view=ticket_view, user_id=current_user.id)
    holders = {a.assignee_id for a in page.items} | {t.assignee_id for t in handed.items}
    return render_template(
        "staff/care_queue.html",
        page=page,
        handed=handed,
        view=view,
        views=CARE_VIEWS,
        names=accounts.emails(session, holders),
        sla=steering.sla_labels(session, "alert", {a.id for a in page.items}),
        ticket_sla=steering.sla_labels(session, "ticket", {t.id for t in handed.items}),
        **steering.steering(session, "care", view, filters),
    )


def _evidence(evidence: dict[str, object]) -> list[tuple[str, str]]:
    """Evidence as plain label/text pairs, so the template only ever prints escaped text."""
    items = []
    for key, value in evidence.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            shown = "; ".join(str(v) for v in value)
        elif isinstance(value, str):
            shown = value
        else:
            shown = json.dumps(value, ensure_ascii=False)
        items.append((key.replace("_", " ").capitalize(), shown))
    return items


def _render(alert: Alert, code: int = 200, **forms: ActionForm) -> ResponseReturnValue:
    session = request_session()
    return (
        render_template(
            "staff/alert.html",
            alert=alert,
            evidence=_evidence(alert.evidence or {}),
            notes=alerts.notes(session, alert.id),
            names=accounts.emails(session, {alert.assignee_id}),
            acknowledge_form=forms.get("acknowledge") or AcknowledgeForm(formdata=None),
            outreach_form=forms.get("outreach") or OutreachForm(formdata=None),
            escalate_form=forms.get("escalate") or EscalateForm(formdata=None),
            close_form=forms.get("close") or CloseAlertForm(formdata=None),
        ),
        code,
    )


@bp.get("/alerts/<int:alert_id>")
@role_required(Role.CARE)
def alert(alert_id: int) -> ResponseReturnValue:
    return _render(alerts.get_alert(request_session(), alert_id))


def _act(
    alert_id: int, key: str, form: ActionForm, action: Callable[[Session], str]
) -> ResponseReturnValue:
    session = request_session()
    alerts.get_alert(session, alert_id)  # 404 before anything else
    if commit_form(form, action):
        return redirect(url_for(".alert", alert_id=alert_id), 303)
    session.expire_all()
    return _render(alerts.get_alert(session, alert_id), 400, **{key: form})


@bp.post("/alerts/<int:alert_id>/acknowledge")
@role_required(Role.CARE)
def acknowledge_alert(alert_id: int) -> ResponseReturnValue:
    def acknowledge(session: Session) -> str:
        alerts.acknowledge(session, alert_id, by=current_user.id)
        return f"You acknowledged alert #{alert_id}."

    return _act(alert_id, "acknowledge", AcknowledgeForm(), acknowledge)


@bp.post("/alerts/<int:alert_id>/outreach")
@role_required(Role.CARE)
def log_outreach(alert_id: int) -> ResponseReturnValue:
    form = OutreachForm()

    def log(session: Session) -> str:
        alerts.log_outreach(
            session, alert_id, form.method.data or "", form.note.data or "", by=current_user.id
        )
        return "Outreach logged."

    return _act(alert_id, "outreach", form, log)


@bp.post("/alerts/<int:alert_id>/escalate")
@role_required(Role.CARE)
def escalate_alert(alert_id: int) -> ResponseReturnValue:
    form = EscalateForm()

    def escalate(session: Session) -> str:
        alerts.escalate(session, alert_id, form.reason.data or "", by=current_user.id)
        return f"Alert #{alert_id} escalated."

    return _act(alert_id, "escalate", form, escalate)


@bp.post("/alerts/<int:alert_id>/resolve")
@role_required(Role.CARE)
def resolve_alert(alert_id: int) -> ResponseReturnValue:
    form = CloseAlertForm()

    def resolve(session: Session) -> str:
        alerts.resolve(session, alert_id, form.outcome.data or "", by=current_user.id)
        return f"Alert #{alert_id} resolved."

    return _act(alert_id, "close", form, resolve)
