"""Replying to the contractor from a ticket or an alert, and the conversation panel those pages
include (``staff/_conversation.html``)."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from redis import RedisError
from sqlalchemy.orm import Session
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from core.db import request_session
from outreach import delivery
from staff import alerts, canned, contractors, conversation, inbox, tickets, unknown_senders
from staff.auth import any_staff, role_required
from staff.errors import WorkError
from staff.forms import ActionForm, ReplyForm, choices
from staff.models import Role
from staff.views import bp, commit_form, done, fail
from surveys.models import Alert, Ticket

log = logging.getLogger(__name__)


class WorkReplyForm(ReplyForm):
    canned = SelectField("Start from a canned reply", validate_choice=False, default="")
    subject = StringField("Subject (email only)", validators=[Optional(), Length(max=200)])
    # Empty is allowed when a canned reply is chosen; the domain says which is missing.
    body = TextAreaField("Message", validators=[Length(max=20000)], render_kw={"rows": 4})


def _form(*, posted: bool) -> WorkReplyForm:
    form = WorkReplyForm() if posted else WorkReplyForm(formdata=None)
    session = request_session()
    form.canned.choices = choices(
        [("", "None: write your own")]
        + [(str(c.id), f"{c.title} ({c.language})") for c in canned.active(session)]
    )
    return form


@bp.context_processor
def _conversation_helpers() -> dict[str, Any]:
    def conversation_for(item: Ticket | Alert) -> dict[str, Any] | None:
        if item.contractor is None:
            return None
        session = request_session()
        card = conversation.contact_card(session, item.contractor)
        form = g.get("work_reply_form")
        if form is None:
            form = _form(posted=False)
            usable = card.reachable
            preferred = item.contractor.channel
            form.channel.data = preferred if preferred in usable else (usable or ["sms"])[0]
        kind = "ticket" if isinstance(item, Ticket) else "alert"
        messages = conversation.thread(session, item.contractor)
        return {
            "card": card,
            "thread": messages,
            "new_answer": conversation.waiting_answer(session, item, messages),
            "form": form,
            "action": _item_url(kind, item.id, "reply_on_"),
        }

    return {"conversation_for": conversation_for}


def _reply(kind: str, item_id: int) -> ResponseReturnValue:
    session = request_session()
    form = _form(posted=True)
    raw = form.canned.data or ""
    try:
        if raw and not raw.isdigit():
            raise WorkError(f"Canned reply {raw!r} is not one of ours.", "canned")
        conversation.reply_on_work(
            session,
            kind,
            item_id,
            form.channel.data or "",
            form.body.data or "",
            form.subject.data,
            canned_id=int(raw) if raw else None,
            by=current_user.id,
        )
    except WorkError as exc:
        session.rollback()
        fail(form, exc)
        g.work_reply_form = form
        session.expire_all()
        return _page(kind, item_id, 400)
    session.commit()
    try:
        delivery.nudge_dispatch()
    except RedisError:
        # Stored and committed: the next tick's dispatch sends it all the same.
        log.warning("could not wake the sender; the next tick will send the reply")
    item: Ticket | Alert = (
        session.get_one(Ticket, item_id) if kind == "ticket" else session.get_one(Alert, item_id)
    )
    assert item.contractor is not None
    opens = contractors.next_window_opens(item.contractor)
    if opens is None:
        done(f"Message to {item.contractor.name} queued; it goes out now.")
    else:
        done(
            f"Message to {item.contractor.name} queued; it waits until "
            f"{opens:%H:%M} on {opens:%a %d %b}, their time."
        )
    return redirect(_item_url(kind, item_id) + "#conversation", 303)


def _item_url(kind: str, item_id: int, prefix: str = "") -> str:
    if kind == "ticket":
        return url_for(f".{prefix}ticket", ticket_id=item_id)
    return url_for(f".{prefix}alert", alert_id=item_id)


def _page(kind: str, item_id: int, code: int) -> ResponseReturnValue:
    # The item's own page, with this form's errors in its conversation panel.
    from staff.views import care, support

    session = request_session()
    if kind == "ticket":
        return support._render(tickets.get_ticket(session, item_id), code)
    return care._render(alerts.get_alert(session, item_id), code)


@bp.post("/tickets/<int:ticket_id>/reply")
@role_required(Role.SUPPORT, Role.CARE)
def reply_on_ticket(ticket_id: int) -> ResponseReturnValue:
    ticket = tickets.get_ticket(request_session(), ticket_id)
    if not (inbox.can_view_ticket(current_user.role, ticket)):
        abort(403)
    return _reply("ticket", ticket_id)


@bp.post("/alerts/<int:alert_id>/reply")
@role_required(Role.CARE)
def reply_on_alert(alert_id: int) -> ResponseReturnValue:
    alerts.get_alert(request_session(), alert_id)  # 404 before anything else
    return _reply("alert", alert_id)


class LinkSenderForm(ActionForm):
    address = HiddenField()
    external_id = StringField("Contractor's external ID", validators=[Length(max=64)])
    submit = SubmitField("Link")


@bp.get("/unknown-senders")
@any_staff
def unknown_senders_page(
    form: LinkSenderForm | None = None, code: int = 200
) -> ResponseReturnValue:
    return (
        render_template(
            "staff/unknown_senders.html",
            senders=unknown_senders.senders(request_session()),
            form=form,
        ),
        code,
    )


@bp.post("/unknown-senders/link")
@any_staff
def link_unknown_sender() -> ResponseReturnValue:
    form = LinkSenderForm()
    linked_to: list[int] = []

    def link(session: Session) -> str:
        contractor, moved = unknown_senders.link(
            session, form.address.data or "", form.external_id.data or "", by=current_user.id
        )
        linked_to.append(contractor.id)
        return f"{moved} message(s) from {form.address.data} are now {contractor.name}'s."

    if commit_form(form, link):
        return redirect(url_for(".contractor", contractor_id=linked_to[0]), 303)
    return unknown_senders_page(form, 400)
