"""The dashboard: response rate, average rating by week, open work by age."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from core.db import request_session
from staff import dashboard as figures
from staff import sla
from staff.auth import any_staff
from staff.views import bp


@bp.get("/dashboard")
@any_staff
def dashboard() -> ResponseReturnValue:
    return render_template(
        "staff/dashboard.html",
        board=figures.build(request_session()),
        min_respondents=figures.MIN_RESPONDENTS,
        sla_weeks=sla.share_met(request_session()),
    )
