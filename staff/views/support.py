"""Support's queue and the ticket page with its actions."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from core.db import request_session
from staff import accounts, inbox, tickets
from staff.auth import role_required
from staff.errors import WorkError
from staff.forms import (
    ActionForm,
    AssignForm,
    ClaimForm,
    HandOffForm,
    NoteForm,
    ResolveForm,
    StatusForm,
    choices,
)
from staff.models import Role
from staff.views import bp, commit_form, home_for, page_arg, steering, view_arg
from surveys.models import Team, Ticket

SUPPORT_VIEWS = {
    "open": "All open",
    "mine": "Mine",
    "unassigned": "Unclaimed",
    "with_care": "Handed to Care",
    "resolved": "Resolved",
}


@bp.get("/support")
@role_required(Role.SUPPORT)
def support_queue() -> ResponseReturnValue:
    view = view_arg(SUPPORT_VIEWS)
    page_number = page_arg()
    session = request_session()
    filters = steering.parse_filters("support")
    team, shown = (Team.CARE, "open") if view == "with_care" else (Team.SUPPORT, view)
    page = tickets.queue(
        session, team, view=shown, user_id=current_user.id, page=page_number, filters=filters
    )
    return render_template(
        "staff/support_queue.html",
        page=page,
        view=view,
        views=SUPPORT_VIEWS,
        names=accounts.emails(session, {t.assignee_id for t in page.items}),
        sla=steering.sla_labels(session, "ticket", {t.id for t in page.items}),
        **steering.steering(session, "support", view, filters),
    )


def _render(ticket: Ticket, code: int = 200, **forms: ActionForm) -> ResponseReturnValue:
    session = request_session()
    can_work = tickets.can_work(current_user.role, ticket)
    assign = forms.get("assign") or AssignForm(
        formdata=None, assignee=str(ticket.assignee_id or "")
    )
    assign.assignee.choices = choices(
        [("", "Nobody: back to the queue")]
        + [(str(u.id), f"{u.email} ({u.role})") for u in tickets.workers_for(session, ticket.team)]
    )
    status_form = forms.get("status") or StatusForm(formdata=None, status=ticket.status)
    status_form.status.choices = choices(
        (s, tickets.STATUS_LABELS[s])
        for s in tickets.STATUSES
        if s != tickets.RESOLVED or ticket.status == tickets.RESOLVED
    )
    notes = tickets.notes(session, ticket.id)
    return (
        render_template(
            "staff/ticket.html",
            ticket=ticket,
            can_work=can_work,
            other_team=Team.CARE if ticket.team == Team.SUPPORT else Team.SUPPORT,
            notes=notes,
            names=accounts.emails(session, {ticket.assignee_id}),
            claim_form=forms.get("claim") or ClaimForm(formdata=None),
            assign_form=assign,
            status_form=status_form,
            note_form=forms.get("note") or NoteForm(formdata=None),
            hand_off_form=forms.get("hand_off") or HandOffForm(formdata=None),
            resolve_form=forms.get("resolve") or ResolveForm(formdata=None),
        ),
        code,
    )


@bp.get("/tickets/<int:ticket_id>")
@role_required(Role.SUPPORT, Role.CARE)
def ticket(ticket_id: int) -> ResponseReturnValue:
    found = tickets.get_ticket(request_session(), ticket_id)
    if not inbox.can_view_ticket(current_user.role, found):
        abort(403)
    return _render(found)


def _act(
    ticket_id: int,
    key: str,
    form: ActionForm,
    action: Callable[[Session], str],
    then: str | None = None,
) -> ResponseReturnValue:
    """Run one ticket action for someone whose team has the ticket; commit or show why not."""
    session = request_session()
    if not tickets.can_work(current_user.role, tickets.get_ticket(session, ticket_id)):
        abort(403)
    if commit_form(form, action):
        return redirect(then or url_for(".ticket", ticket_id=ticket_id), 303)
    session.expire_all()
    return _render(tickets.get_ticket(session, ticket_id), 400, **{key: form})


@bp.post("/tickets/<int:ticket_id>/claim")
@role_required(Role.SUPPORT, Role.CARE)
def claim_ticket(ticket_id: int) -> ResponseReturnValue:
    def claim(session: Session) -> str:
        tickets.claim(session, ticket_id, by=current_user.id)
        return f"You claimed ticket #{ticket_id}."

    return _act(ticket_id, "claim", ClaimForm(), claim)


@bp.post("/tickets/<int:ticket_id>/assign")
@role_required(Role.SUPPORT, Role.CARE)
def assign_ticket(ticket_id: int) -> ResponseReturnValue:
    form = AssignForm()

    def assign(session: Session) -> str:
        raw = form.assignee.data or ""
        if raw and not raw.isdigit():
            raise WorkError(f"Assignee {raw!r} is not a staff member.", "assignee")
        ticket = tickets.assign(session, ticket_id, int(raw) if raw else None, by=current_user.id)
        who = accounts.emails(session, {ticket.assignee_id}).get(ticket.assignee_id or 0)
        return (
            f"Ticket #{ticket_id} is now with {who}."
            if who
            else f"Ticket #{ticket_id} is back in the queue."
        )

    return _act(ticket_id, "assign", form, assign)


@bp.post("/tickets/<int:ticket_id>/status")
@role_required(Role.SUPPORT, Role.CARE)
def ticket_status(ticket_id: int) -> ResponseReturnValue:
    form = StatusForm()

    def change(session: Session) -> str:
        ticket = tickets.set_status(session, ticket_id, form.status.data or "", by=current_user.id)
        return f"Ticket #{ticket_id} is now {ticket.status}."

    return _act(ticket_id, "status", form, change)


@bp.post("/tickets/<int:ticket_id>/notes")
@role_required(Role.SUPPORT, Role.CARE)
def ticket_note(ticket_id: int) -> ResponseReturnValue:
    form = NoteForm()

    def note(session: Session) -> str:
        tickets.add_note(session, ticket_id, form.body.data or "", by=current_user.id)
        return "Note added."

    return _act(ticket_id, "note", form, note)


@bp.post("/tickets/<int:ticket_id>/hand-off")
@role_required(Role.SUPPORT, Role.CARE)
def hand_off_ticket(ticket_id: int) -> ResponseReturnValue:
    form = HandOffForm()
    session = request_session()
    team = (
        Team.CARE if tickets.get_ticket(session, ticket_id).team == Team.SUPPORT else Team.SUPPORT
    )

    def hand_off(session: Session) -> str:
        tickets.hand_off(session, ticket_id, team, form.reason.data or "", by=current_user.id)
        return f"Ticket #{ticket_id} handed to {team.capitalize()}."

    # Once handed over it is the other team's to work, so go back to your own queue.
    return _act(ticket_id, "hand_off", form, hand_off, then=home_for(current_user.role))


@bp.post("/tickets/<int:ticket_id>/resolve")
@role_required(Role.SUPPORT, Role.CARE)
def resolve_ticket(ticket_id: int) -> ResponseReturnValue:
    form = ResolveForm()

    def resolve(session: Session) -> str:
        tickets.resolve(session, ticket_id, form.resolution.data or "", by=current_user.id)
        return f"Ticket #{ticket_id} resolved."

    return _act(ticket_id, "resolve", form, resolve)
