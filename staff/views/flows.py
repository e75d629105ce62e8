"""Survey flows (admin: edit, preview, dry run), the NPS report and the tasks flows make."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from core.db import request_session
from staff import flow_admin, nps
from staff.auth import any_staff, role_required
from staff.dashboard import MIN_RESPONDENTS
from staff.errors import NotFound, WorkError
from staff.forms import DryRunForm, FlowForm
from staff.models import Role
from staff.views import bp, done, fail
from surveys.flow_models import Task, TaskStatus


@bp.get("/flows")
@role_required(Role.ADMIN)
def flows() -> ResponseReturnValue:
    return render_template("staff/flows.html", surveys=flow_admin.flow_surveys(request_session()))


def _render_flow(
    survey_id: int,
    form: FlowForm | None = None,
    dry_form: DryRunForm | None = None,
    dry_run: list[flow_admin.DryRunLine] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = request_session()
    try:
        survey = flow_admin.get_flow_survey(session, survey_id)
    except NotFound:
        abort(404)
    form = form or FlowForm(formdata=None, flow=flow_admin.as_text(survey))
    dry_form = dry_form or DryRunForm(formdata=None)
    dry_form.contractor.choices = [
        (c.id, f"{c.name} ({c.language}, {c.client})")
        for c in flow_admin.sample_contractors(session)
    ]
    return (
        render_template(
            "staff/flow.html",
            survey=survey,
            form=form,
            dry_form=dry_form,
            previews=flow_admin.preview(survey),
            dry_run=dry_run,
        ),
        status,
    )


@bp.route("/flows/<int:survey_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def flow(survey_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _render_flow(survey_id)
    session = request_session()
    form = FlowForm()
    try:
        changed = flow_admin.save_flow(session, survey_id, form.flow.data or "", by=current_user.id)
    except NotFound:
        abort(404)
    except WorkError as exc:
        session.rollback()
        fail(form, exc)
        return _render_flow(survey_id, form, status=400)
    session.commit()
    done("Flow saved." if changed else "Nothing changed.")
    return redirect(url_for(".flow", survey_id=survey_id), 303)


@bp.post("/flows/<int:survey_id>/dry-run")
@role_required(Role.ADMIN)
def flow_dry_run(survey_id: int) -> ResponseReturnValue:
    session = request_session()
    dry_form = DryRunForm()
    try:
        survey = flow_admin.get_flow_survey(session, survey_id)
        lines = flow_admin.dry_run(
            session, survey, int(dry_form.contractor.data or 0), dry_form.answers.data or ""
        )
    except NotFound:
        abort(404)
    except (WorkError, ValueError) as exc:
        fail(dry_form, exc if isinstance(exc, WorkError) else WorkError(str(exc), "contractor"))
        return _render_flow(survey_id, dry_form=dry_form, status=400)
    return _render_flow(survey_id, dry_form=dry_form, dry_run=lines)


@bp.get("/nps")
@any_staff
def nps_report() -> ResponseReturnValue:
    return render_template(
        "staff/nps.html", report=nps.build(request_session()), min_respondents=MIN_RESPONDENTS
    )


@bp.get("/tasks")
@any_staff
def tasks() -> ResponseReturnValue:
    session = request_session()
    found = session.scalars(
        select(Task).where(Task.status == TaskStatus.OPEN).order_by(Task.created_at.desc())
    ).all()
    return render_template("staff/tasks.html", tasks=found)
