"""Contractor list and contractor page: profile, consent, timeline, trend chart, reply form."""

from __future__ import annotations

import logging

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from redis import RedisError
from sqlalchemy.orm import Session

from core.db import request_session
from outreach import consent_log, delivery
from staff import charts, inbox
from staff import contractors as pages
from staff.auth import any_staff
from staff.forms import ReplyForm
from staff.views import bp, commit_form, page_arg
from surveys.models import Response

log = logging.getLogger(__name__)


@bp.get("/contractors")
@any_staff
def contractors() -> ResponseReturnValue:
    page_number = page_arg()
    q = (request.args.get("q") or "").strip()[:200]
    client = (request.args.get("client") or "").strip()[:200]
    manager = (request.args.get("manager") or "").strip()[:200]
    session = request_session()
    page = pages.search(session, q, client, manager, page=page_number)
    return render_template(
        "staff/contractors.html",
        page=page,
        q=q,
        client=client,
        manager=manager,
        choices=inbox.filter_choices(session),
        args={k: v for k, v in (("q", q), ("client", client), ("manager", manager)) if v},
    )


def _render(
    contractor_id: int, status: int = 200, form: ReplyForm | None = None
) -> ResponseReturnValue:
    session = request_session()
    contractor = pages.get_contractor(session, contractor_id)
    replies: list[Response] = pages.rated_replies(session, contractor.id)
    chart = charts.trend_chart(replies, f"Rating and words of {contractor.name}'s replies")
    consents = pages.consents(session, contractor)
    if form is None:
        form = ReplyForm(formdata=None)
        usable = [c.channel for c in consents if c.may_send]
        form.channel.data = (
            contractor.channel if contractor.channel in usable else (usable or ["sms"])[0]
        )
    return (
        render_template(
            "staff/contractor.html",
            contractor=contractor,
            consents=consents,
            consent_history=consent_log.history(
                session, [a for a in (contractor.phone, contractor.email) if a]
            ),
            timeline=pages.timeline(session, contractor, current_user.role),
            chart=chart,
            replies=replies,
            tenure=pages.tenure_days(contractor),
            local_now=pages.local_time(contractor),
            window_opens=pages.next_window_opens(contractor),
            form=form,
        ),
        status,
    )


@bp.get("/contractors/<int:contractor_id>")
@any_staff
def contractor(contractor_id: int) -> ResponseReturnValue:
    return _render(contractor_id)


@bp.post("/contractors/<int:contractor_id>/reply")
@any_staff
def reply_to_contractor(contractor_id: int) -> ResponseReturnValue:
    session = request_session()
    contractor = pages.get_contractor(session, contractor_id)
    form = ReplyForm()

    def queue(session: Session) -> str:
        pages.queue_reply(
            session,
            contractor.id,
            form.channel.data or "",
            form.body.data or "",
            form.subject.data,
            by=current_user.id,
        )
        opens = pages.next_window_opens(contractor)
        if opens is None:
            return f"Message to {contractor.name} queued; it goes out now."
        return (
            f"Message to {contractor.name} queued; it waits until "
            f"{opens:%H:%M} on {opens:%a %d %b}, their time."
        )

    if commit_form(form, queue):
        try:
            delivery.nudge_dispatch()
        except RedisError:
            # Stored and committed: the next tick's dispatch sends it all the same.
            log.warning("could not wake the sender; the next tick will send the reply")
        return redirect(url_for(".contractor", contractor_id=contractor.id), 303)
    return _render(contractor.id, 400, form)
