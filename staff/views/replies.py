"""The flagged replies inbox, the "Needs a look" list, and staff reviews of a reply."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from core.db import request_session
from staff import inbox, inbox_states, review
from staff.auth import any_staff, safe_next
from staff.errors import WorkError
from staff.inbox import category_label
from staff.paging import parse_page
from staff.views import bp, commit_or_flash
from staff.views.inbox_work import inbox_steering


@bp.get("/replies")
@any_staff
def flagged_replies() -> ResponseReturnValue:
    try:
        page_number = parse_page(request.args.get("page"))
        filters = inbox.parse_filters(request.args)
        state = inbox_states.parse_state(request.args.get("state"))
    except (ValueError, WorkError) as exc:
        abort(400, str(exc))
    session = request_session()
    where = [inbox_states.condition(state)] if state else []
    page = inbox.flagged_replies(session, filters, page=page_number, where=where)
    return render_template(
        "staff/replies.html",
        page=page,
        filters=filters,
        values=filters.as_args(),
        options=inbox.filter_options(session),
        **inbox_steering(session, state, [item.response.id for item in page.items]),
    )


@bp.get("/needs-look")
@any_staff
def needs_look() -> ResponseReturnValue:
    """Replies the reader was unsure about: staff settle them, and training learns from it."""
    try:
        page_number = parse_page(request.args.get("page"))
    except ValueError as exc:
        abort(400, str(exc))
    page = review.needs_look(request_session(), page=page_number)
    return render_template("staff/needs_look.html", page=page)


@bp.post("/replies/<int:response_id>/review")
@any_staff
def review_reply(response_id: int) -> ResponseReturnValue:
    target = safe_next(request.form.get("next")) or url_for(".needs_look")

    def read_again(session: Session) -> str:
        labels = review.parse_labels(request.form)
        review.review(session, response_id, labels, by=current_user.id)
        return f"Reply #{response_id} reviewed: {category_label(labels['category'])}."

    commit_or_flash(read_again)
    return redirect(target, 303)
