"""The flagged replies inbox."""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from core.db import request_session
from staff import inbox
from staff.auth import any_staff
from staff.errors import WorkError
from staff.paging import parse_page
from staff.views import bp


@bp.get("/replies")
@any_staff
def flagged_replies() -> ResponseReturnValue:
    try:
        page_number = parse_page(request.args.get("page"))
        filters = inbox.parse_filters(request.args)
    except (ValueError, WorkError) as exc:
        abort(400, str(exc))
    session = request_session()
    page = inbox.flagged_replies(session, filters, page=page_number)
    return render_template(
        "staff/replies.html",
        page=page,
        filters=filters,
        values=filters.as_args(),
        options=inbox.filter_options(session),
    )
