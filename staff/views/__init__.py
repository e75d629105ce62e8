"""Staff pages. Views are thin: they read the request, call the domain modules in ``staff``
with the request's session, commit, and render or redirect.

The blueprint lives here; each page group registers its routes from its own module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, flash, g, has_request_context, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.wrappers import Response as WerkzeugResponse

from core.clock import now
from core.db import request_session
from staff import alerts, audit, inbox, tickets
from staff.errors import NotFound, WorkError
from staff.models import Role
from staff.notify import preferences
from staff.paging import parse_page
from surveys.analysis import mood
from surveys.categories import CATEGORIES

# Named after the package, so templates/ and static/ resolve next to staff/__init__.py.
bp = Blueprint(
    "staff",
    "staff",
    url_prefix="/staff",
    template_folder="templates",
    static_folder="static",
)


def home_for(role: str) -> str:
    """Where each role starts: its own queue; admin starts on the dashboard."""
    if role == Role.SUPPORT:
        return url_for("staff.support_queue")
    if role == Role.CARE:
        return url_for("staff.care_queue")
    return url_for("staff.dashboard")


def when(value: datetime | None) -> str:
    """A time in the signed-in staff user's own zone (their setting; UTC until they choose)."""
    if value is None:
        return "—"
    return value.astimezone(_viewer_zone()).strftime("%Y-%m-%d %H:%M %Z")


def _viewer_zone() -> ZoneInfo:
    if not has_request_context():
        return ZoneInfo("UTC")
    if "viewer_zone" not in g:
        name = "UTC"
        if current_user.is_authenticated:
            name = preferences.zone_name(request_session(), current_user.id)
        try:
            g.viewer_zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            g.viewer_zone = ZoneInfo("UTC")
    return cast(ZoneInfo, g.viewer_zone)


def age(value: datetime | None) -> str:
    """How long ago, in the largest unit that reads well: "45 min", "5 h", "3 d"."""
    if value is None:
        return "—"
    elapsed = max(now() - value, timedelta(0))
    if elapsed < timedelta(hours=1):
        return f"{int(elapsed.total_seconds() // 60)} min"
    if elapsed < timedelta(days=2):
        return f"{int(elapsed.total_seconds() // 3600)} h"
    return f"{elapsed.days} d"


def nav_items(role: str) -> list[tuple[str, str]]:
    items = []
    if role in (Role.SUPPORT, Role.ADMIN):
        items.append(("staff.support_queue", "Support queue"))
    if role in (Role.CARE, Role.ADMIN):
        items.append(("staff.care_queue", "Care queue"))
    items += [
        ("staff.flagged_replies", "Flagged replies"),
        ("staff.needs_look", "Needs a look"),
        ("staff.contractors", "Contractors"),
        ("staff.unknown_senders_page", "Unknown senders"),
        ("staff.dashboard", "Dashboard"),
        ("staff.nps_report", "NPS"),
        ("staff.tasks", "Tasks"),
    ]
    if role == Role.ADMIN:
        items += [
            ("staff.surveys", "Surveys"),
            ("staff.flows", "Flows"),
            ("staff.reader_page", "Reader"),
            ("staff.reading_rules_page", "Reading rules"),
            ("staff.users", "Users"),
            ("staff.audit_log", "Audit log"),
            ("staff.notification_log", "Notifications"),
            ("staff.canned_replies", "Canned replies"),
            ("staff.export_page", "Export"),
        ]
    return items


@bp.context_processor
def _helpers() -> dict[str, Any]:
    role = current_user.role if current_user.is_authenticated else ""
    return {
        "when": when,
        "age": age,
        "category_label": inbox.category_label,
        "kind_label": alerts.kind_label,
        "action_label": audit.action_label,
        "ticket_status_label": tickets.STATUS_LABELS,
        "can_view_ticket": lambda ticket: inbox.can_view_ticket(role, ticket),
        "can_view_alert": lambda alert: inbox.can_view_alert(role, alert),
        "nav_items": nav_items(role) if role else [],
        "review_categories": [(c, inbox.category_label(c)) for c in CATEGORIES],
        "language_label": language_label,
        "mood": mood,
    }


LANGUAGE_LABELS = {"en": "English", "es": "Spanish"}


def language_label(code: str | None) -> str:
    return LANGUAGE_LABELS.get(code or "", "Language unknown")


def page_arg() -> int:
    """The ``page`` query argument, or 400 naming what is wrong with it."""
    try:
        return parse_page(request.args.get("page"))
    except ValueError as exc:
        abort(400, str(exc))


def view_arg(views: Mapping[str, str]) -> str:
    """The ``view`` query argument of a queue, or 400 naming the views there are."""
    view = request.args.get("view", "open")
    if view not in views:
        abort(400, f"view={view!r} is not one of {', '.join(views)}")
    return view


def fail(form: FlaskForm, error: WorkError) -> None:
    """Put a domain error next to the field it names, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


def done(message: str) -> None:
    flash(message, "success")


def commit_form(form: FlaskForm, action: Callable[[Session], str]) -> bool:
    """Run one staff action from ``form`` in the request's session.

    True when the form was valid and the action committed (its message is flashed); False
    when either refused, with the domain error beside the field it names and nothing kept,
    so the caller shows the form again with status 400.
    """
    if not form.validate_on_submit():
        return False
    session = request_session()
    try:
        message = action(session)
    except WorkError as exc:
        session.rollback()
        fail(form, exc)
        return False
    session.commit()
    done(message)
    return True


def commit_or_flash(action: Callable[[Session], str], refused: str = "") -> bool:
    """Run one staff action that has no form to show again (a list's or bulk bar's button).

    True when it committed (its message is flashed); False when it refused: nothing is kept
    and why is flashed as an error, after ``refused`` ("Nothing changed: ").
    """
    session = request_session()
    try:
        message = action(session)
    except WorkError as exc:
        session.rollback()
        flash(f"{refused}{exc}", "error")
        return False
    session.commit()
    done(message)
    return True


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


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> ResponseReturnValue:
    return _error(HTTPNotFound(str(error)))


# Each module adds its routes to ``bp`` when imported.
from staff.views import (  # noqa: E402
    account,
    admin,
    care,
    consent,
    contractors,
    conversation,
    dashboard,
    flows,
    notifications,
    replies,
    rules,
    steering,
    support,
)

__all__ = [
    "account",
    "admin",
    "bp",
    "care",
    "consent",
    "contractors",
    "conversation",
    "dashboard",
    "flows",
    "notifications",
    "replies",
    "rules",
    "steering",
    "support",
]
