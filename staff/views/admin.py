"""Admin pages: surveys, staff users, the audit log, and the replies export."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from core.clock import now
from core.db import request_session
from outreach import templates
from outreach.models import Survey
from staff import accounts, audit, export, inbox, review, survey_admin
from staff.auth import role_required
from staff.errors import WorkError
from staff.forms import ChangeUserForm, NewUserForm, SurveyForm
from staff.models import Role
from staff.views import bp, done, fail, page_arg

NEXT_SEND_DAYS = 14


@bp.get("/surveys")
@role_required(Role.ADMIN)
def surveys() -> ResponseReturnValue:
    session = request_session()
    found = list(session.scalars(select(Survey).order_by(Survey.name)))
    upcoming = {s.id: len(survey_admin.next_sends(session, s.id, NEXT_SEND_DAYS)) for s in found}
    return render_template(
        "staff/surveys.html", surveys=found, upcoming=upcoming, days=NEXT_SEND_DAYS
    )


def _render_survey(
    survey_id: int, form: SurveyForm | None = None, status: int = 200
) -> ResponseReturnValue:
    session = request_session()
    survey = survey_admin.get_survey(session, survey_id)
    if form is None:
        form = SurveyForm(formdata=None, data=survey_admin.as_form(survey))
    sends = survey_admin.next_sends(session, survey.id, NEXT_SEND_DAYS)
    return (
        render_template(
            "staff/survey.html",
            survey=survey,
            form=form,
            sends=sends[:200],
            total_sends=len(sends),
            days=NEXT_SEND_DAYS,
            placeholders=templates.PLACEHOLDERS,
            sms_cost=survey_admin.sms_cost(survey.sms_template),
            spanish_sms_cost=survey_admin.sms_cost(
                templates.survey_texts(survey.sms_template, "", "", survey.translations, "es")[0],
                "es",
            ),
            spanish_default=templates.SPANISH_DEFAULT,
            spanish_written=bool((survey.translations or {}).get("es", {}).get("sms_template")),
        ),
        status,
    )


@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def survey(survey_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _render_survey(survey_id)
    session = request_session()
    survey_admin.get_survey(session, survey_id)
    form = SurveyForm()
    try:
        changes = survey_admin.check_survey(
            {name: field.data for name, field in form._fields.items()}
        )
        changed = survey_admin.update(session, survey_id, changes, by=current_user.id)
    except WorkError as exc:
        session.rollback()
        fail(form, exc)
        return _render_survey(survey_id, form, 400)
    session.commit()
    done(f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")
    return redirect(url_for(".survey", survey_id=survey_id), 303)


def _render_users(
    new_form: NewUserForm | None = None, status: int = 200, error: str = ""
) -> ResponseReturnValue:
    session = request_session()
    users = accounts.list_users(session)
    forms = {
        user.id: ChangeUserForm(
            formdata=None, prefix=f"user{user.id}", role=user.role, active=user.active
        )
        for user in users
    }
    return (
        render_template(
            "staff/users.html",
            users=users,
            forms=forms,
            new_form=new_form or NewUserForm(formdata=None),
            error=error,
        ),
        status,
    )


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    return _render_users()


@bp.post("/users")
@role_required(Role.ADMIN)
def create_user() -> ResponseReturnValue:
    form = NewUserForm()
    session = request_session()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                session, form.email.data or "", form.role.data or "", form.password.data or ""
            )
        except accounts.AccountError as exc:
            session.rollback()
            message = str(exc)
            field = next((f for f in ("email", "role", "password") if message.startswith(f)), None)
            fail(form, WorkError(message[:1].upper() + message[1:] + ".", field))
        else:
            audit.record(
                session,
                current_user.id,
                "staff_user_created",
                "staff_user",
                user.id,
                role=user.role,
            )
            session.commit()
            done(f"Created {user.role} user {user.email}.")
            return redirect(url_for(".users"), 303)
    return _render_users(form, 400)


@bp.post("/users/<int:user_id>")
@role_required(Role.ADMIN)
def change_user(user_id: int) -> ResponseReturnValue:
    session = request_session()
    form = ChangeUserForm(prefix=f"user{user_id}")
    try:
        changed = accounts.change_user(
            session,
            user_id,
            role=form.role.data or "",
            active=bool(form.active.data),
            by=current_user.id,
        )
    except accounts.AccountError as exc:
        session.rollback()
        if str(exc).startswith("there is no staff user"):
            abort(404, str(exc).capitalize() + ".")
        return _render_users(status=400, error=str(exc).capitalize() + ".")
    session.commit()
    done("Saved." if changed else "Nothing changed.")
    return redirect(url_for(".users"), 303)


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log() -> ResponseReturnValue:
    page_number = page_arg()
    action = (request.args.get("action") or "").strip()
    if action and action not in audit.ACTION_LABELS:
        abort(400, f"action={action!r} is not a known action")
    raw_user = (request.args.get("user") or "").strip()
    if raw_user and not raw_user.isdigit():
        abort(400, f"user={raw_user!r} is not a staff user id")
    session = request_session()
    page = audit.events(
        session, action=action, user_id=int(raw_user) if raw_user else None, page=page_number
    )
    return render_template(
        "staff/audit.html",
        page=page,
        action=action,
        user=raw_user,
        actions=audit.ACTION_LABELS,
        users=accounts.list_users(session),
        args={k: v for k, v in (("action", action), ("user", raw_user)) if v},
    )


def _render_export(
    values: dict[str, str], error: WorkError | None = None, status: int = 200
) -> ResponseReturnValue:
    session = request_session()
    return (
        render_template(
            "staff/export.html",
            values=values,
            error=error,
            options=inbox.filter_options(session),
            columns=export.COLUMNS,
        ),
        status,
    )


@bp.get("/export")
@role_required(Role.ADMIN)
def export_page() -> ResponseReturnValue:
    today = now().date()
    return _render_export(
        {"date_from": (today - timedelta(days=30)).isoformat(), "date_to": today.isoformat()}
    )


@bp.post("/export")
@role_required(Role.ADMIN)
def export_replies() -> ResponseReturnValue:
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    flagged_only = bool(values.get("flagged_only"))
    try:
        filters = export.check_range(inbox.parse_filters(values))
    except WorkError as exc:
        return _render_export(values, exc, 400)
    session = request_session()
    export.record(session, filters, flagged_only, by=current_user.id)
    session.commit()  # the export is on the record before a byte of it leaves
    return Response(
        stream_with_context(export.csv_chunks(session, filters, flagged_only)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{export.filename(filters)}"'},
    )


@bp.get("/reader")
@role_required(Role.ADMIN)
def reader_page() -> ResponseReturnValue:
    """The reader in use: its model card figures, and how it did on replies staff reviewed."""
    from surveys import reader

    current = reader.current()
    return render_template(
        "staff/reader.html",
        version=current.version,
        card=current.card,
        accuracy=review.accuracy(request_session()),
        days=review.ACCURACY_WINDOW.days,
    )
