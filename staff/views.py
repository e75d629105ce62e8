"""Staff pages: sign-in and sign-out, the flagged replies inbox, ticket and alert pages.

Views are thin: they read the request, call ``staff.accounts`` / ``staff.inbox`` with the
request's session, and render.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from core.db import request_session
from staff import accounts, audit, inbox
from staff.auth import any_staff, role_required, safe_next
from staff.forms import SignInForm
from staff.models import Role, StaffUser

bp = Blueprint(
    "staff",
    __name__,
    url_prefix="/staff",
    template_folder="templates",
    static_folder="static",
)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "when": _when,
        "category_label": inbox.category_label,
        "can_view_ticket": lambda ticket: inbox.can_view_ticket(current_user.role, ticket),
        "can_view_alert": lambda alert: inbox.can_view_alert(current_user.role, alert),
    }


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "—"


@bp.after_request
def _headers(response: WerkzeugResponse) -> WerkzeugResponse:
    # Defence in depth behind autoescaping: contractor text could never run script here
    # even if a template slipped. Pages hold personal data, so nothing is cached.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "staff.static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(400)
@bp.errorhandler(403)
@bp.errorhandler(404)
def _error(error: HTTPException) -> ResponseReturnValue:
    if isinstance(error, CSRFError):
        message = (
            "This form has expired or did not come from this site. "
            "Go back, reload the page and try again."
        )
    elif error.code == 403:
        message = "Your role does not give access to this page."
    else:
        message = error.description or ""
    return render_template("staff/error.html", error=error, message=message), error.code or 500


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for(".flagged_replies"))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        session = request_session()
        email = form.email.data or ""
        user, ok = accounts.authenticate(session, email, form.password.data or "")
        if ok and user is not None:
            # A fresh session at the moment of sign-in: nothing from before carries over.
            cookie_session.clear()
            login_user(user)
            audit.record(session, user.id, "sign_in", address=request.remote_addr)
            session.commit()
            return redirect(safe_next(form.next.data) or url_for(".flagged_replies"))
        detail: dict[str, Any] = {"address": request.remote_addr}
        if user is None and "@" in email:
            detail["email"] = accounts.normalise_email(email)[:320]
        audit.record(session, user.id if user else None, "sign_in_failed", **detail)
        session.commit()
        form.form_errors.append("That email and password do not match an active account.")
    return render_template("staff/sign_in.html", form=form)


@bp.post("/sign-out")
@any_staff
def sign_out() -> ResponseReturnValue:
    session = request_session()
    audit.record(session, current_user.id, "sign_out", address=request.remote_addr)
    session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for(".sign_in"))


@bp.get("/")
@any_staff
def index() -> ResponseReturnValue:
    return redirect(url_for(".flagged_replies"))


@bp.get("/replies")
@any_staff
def flagged_replies() -> ResponseReturnValue:
    raw_page = request.args.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        abort(400, f"page={raw_page!r} is not valid: expected a whole number, 1 or more")
    page = inbox.flagged_replies(request_session(), page=int(raw_page))
    return render_template("staff/replies.html", page=page)


@bp.get("/tickets/<int:ticket_id>")
@role_required(Role.SUPPORT, Role.CARE)
def ticket(ticket_id: int) -> ResponseReturnValue:
    session = request_session()
    found = inbox.ticket_with_replies(session, ticket_id)
    if found is None:
        abort(404, f"There is no ticket #{ticket_id}.")
    if not inbox.can_view_ticket(current_user.role, found):
        abort(403)
    assignee = session.get(StaffUser, found.assignee_id) if found.assignee_id else None
    return render_template("staff/ticket.html", ticket=found, assignee=assignee)


@bp.get("/alerts/<int:alert_id>")
@role_required(Role.CARE)
def alert(alert_id: int) -> ResponseReturnValue:
    session = request_session()
    found = inbox.alert_with_replies(session, alert_id)
    if found is None:
        abort(404, f"There is no alert #{alert_id}.")
    assignee = session.get(StaffUser, found.assignee_id) if found.assignee_id else None
    return render_template(
        "staff/alert.html", alert=found, assignee=assignee, evidence=_evidence(found.evidence)
    )


def _evidence(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """Evidence as plain label/text pairs, so the template only ever prints escaped text."""
    items = []
    for key, value in evidence.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        items.append((key.replace("_", " ").capitalize(), shown))
    return items
