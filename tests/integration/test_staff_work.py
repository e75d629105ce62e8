"""Support works tickets and Care works alerts, through the pages, with CSRF on."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.models import Survey
from staff.models import AuditEvent, StaffUser, WorkNote
from surveys.models import Alert, Ticket
from tests.conftest import FrozenClock
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_response,
    make_staff_user,
    make_ticket,
)
from tests.staff_helpers import Staff, signed_in


def make_survey(session: Session, **overrides: Any) -> Survey:
    values: dict[str, Any] = {
        "key": "pulse",
        "name": "Pulse",
        "question": "How is it going, 1-5?",
        "scale_max": 5,
        "sms_template": "Hi {first_name}, how is {client}? Reply 1-{scale_max}. STOP to opt out.",
        "email_subject": "How is {client}?",
        "email_template": "Hi {first_name}, how is {client}?",
        "onboarding_days": [3, 14],
        "pulse_every_days": 14,
    }
    values.update(overrides)
    survey = Survey(**values)
    session.add(survey)
    session.flush()
    return survey


def _as(app: Flask, user: StaffUser) -> Staff:
    return signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)


def _actions(session: Session, target_type: str, target_id: int) -> list[tuple[str, int | None]]:
    session.expire_all()
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id)
        .order_by(AuditEvent.id)
    )
    return [(e.action, e.staff_user_id) for e in events]


def _ticket(session: Session, ticket_id: int) -> Ticket:
    session.expire_all()
    return session.get_one(Ticket, ticket_id)


def test_support_claims_notes_and_resolves_a_ticket_and_each_step_is_audited(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    contractor = make_contractor(session)
    ticket = make_ticket(session, contractor_id=contractor.id, status="open")
    sam = make_staff_user(session, role="support")
    session.commit()
    staff = _as(app, sam)
    url = f"/staff/tickets/{ticket.id}"

    assert staff.post(f"{url}/claim").status_code == 303
    assert (_ticket(session, ticket.id).status, _ticket(session, ticket.id).assignee_id) == (
        "claimed",
        sam.id,
    )
    assert staff.post(f"{url}/notes", **{"note-body": "Called payroll"}).status_code == 303
    clock.advance(hours=2)
    answer = staff.post(f"{url}/resolve", **{"resolve-resolution": "Paid in next run"})

    assert answer.status_code == 303
    done = _ticket(session, ticket.id)
    assert (done.status, done.resolution) == ("resolved", "Paid in next run")
    assert done.resolved_at == clock.current
    [note] = session.scalars(select(WorkNote).where(WorkNote.ticket_id == ticket.id))
    assert (note.kind, note.body, note.staff_user_id) == ("note", "Called payroll", sam.id)
    assert _actions(session, "ticket", ticket.id) == [
        ("ticket_claimed", sam.id),
        ("ticket_note_added", sam.id),
        ("ticket_resolved", sam.id),
    ]
    html = staff.page(url)
    assert "Called payroll" in html and "Paid in next run" in html
    assert "Reopen ticket" in html


def test_second_claim_is_refused_naming_who_has_it(app: Flask, session: Session) -> None:
    ticket = make_ticket(session, status="open")
    first = make_staff_user(session, role="support", email="first@example.com")
    second = make_staff_user(session, role="support")
    session.commit()
    _as(app, first).post(f"/staff/tickets/{ticket.id}/claim")

    answer = _as(app, second).post(f"/staff/tickets/{ticket.id}/claim")

    assert answer.status_code == 400
    assert "already claimed by first@example.com" in answer.get_data(as_text=True)
    assert _ticket(session, ticket.id).assignee_id == first.id


def test_resolve_without_a_resolution_is_refused_naming_the_field(
    app: Flask, session: Session
) -> None:
    ticket = make_ticket(session)
    user = make_staff_user(session, role="support")
    session.commit()

    answer = _as(app, user).post(
        f"/staff/tickets/{ticket.id}/resolve", **{"resolve-resolution": "  "}
    )

    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert 'id="resolve-resolution-error"' in html and "Say how it was resolved." in html
    assert 'aria-invalid="true"' in html
    assert _ticket(session, ticket.id).status == "open"


def test_assign_gives_the_ticket_to_a_teammate_and_back_to_the_queue(
    app: Flask, session: Session
) -> None:
    ticket = make_ticket(session)
    lead = make_staff_user(session, role="support")
    mate = make_staff_user(session, role="support")
    carer = make_staff_user(session, role="care")
    session.commit()
    staff = _as(app, lead)
    url = f"/staff/tickets/{ticket.id}/assign"

    assert staff.post(url, **{"assign-assignee": str(mate.id)}).status_code == 303
    assert (_ticket(session, ticket.id).assignee_id, _ticket(session, ticket.id).status) == (
        mate.id,
        "claimed",
    )
    refused = staff.post(url, **{"assign-assignee": str(carer.id)})
    assert refused.status_code == 400
    assert "this ticket is with Support" in refused.get_data(as_text=True)
    assert staff.post(url, **{"assign-assignee": ""}).status_code == 303
    assert (_ticket(session, ticket.id).assignee_id, _ticket(session, ticket.id).status) == (
        None,
        "open",
    )


def test_status_moves_between_open_claimed_escalated_and_reopens(
    app: Flask, session: Session
) -> None:
    ticket = make_ticket(session)
    user = make_staff_user(session, role="support")
    session.commit()
    staff = _as(app, user)
    url = f"/staff/tickets/{ticket.id}/status"

    assert staff.post(url, **{"status-status": "escalated"}).status_code == 303
    assert (_ticket(session, ticket.id).status, _ticket(session, ticket.id).assignee_id) == (
        "escalated",
        user.id,
    )
    wrong = staff.post(url, **{"status-status": "resolved"})
    assert wrong.status_code == 400 and "asks for a resolution" in wrong.get_data(as_text=True)
    staff.post(f"/staff/tickets/{ticket.id}/resolve", **{"resolve-resolution": "done"})
    assert staff.post(url, **{"status-status": "open"}).status_code == 303
    reopened = _ticket(session, ticket.id)
    assert (reopened.status, reopened.resolved_at, reopened.assignee_id) == ("open", None, None)


def test_support_hands_a_ticket_to_care_and_care_hands_it_back(
    app: Flask, session: Session
) -> None:
    contractor = make_contractor(session, name="Rosa Diaz")
    ticket = make_ticket(session, contractor_id=contractor.id, category="client_conflict")
    support = make_staff_user(session, role="support")
    care = make_staff_user(session, role="care")
    session.commit()
    sam, cleo = _as(app, support), _as(app, care)
    sam.post(f"/staff/tickets/{ticket.id}/claim")
    assert cleo.get(f"/staff/tickets/{ticket.id}").status_code == 403

    answer = sam.post(
        f"/staff/tickets/{ticket.id}/hand-off", **{"handoff-reason": "Upset; please call"}
    )

    assert answer.status_code == 303 and answer.headers["Location"] == "/staff/support"
    handed = _ticket(session, ticket.id)
    assert (handed.team, handed.status, handed.assignee_id) == ("care", "open", None)
    queue = cleo.page("/staff/care")
    assert f">#{ticket.id} Client conflict" in queue and "Rosa Diaz" in queue
    assert f">#{ticket.id} " not in sam.page("/staff/support")
    assert f">#{ticket.id} " in sam.page("/staff/support?view=with_care")
    # With Care now: Support may read it but no longer work it.
    assert sam.post(f"/staff/tickets/{ticket.id}/claim").status_code == 403
    assert "only Care can work it" in sam.page(f"/staff/tickets/{ticket.id}")
    assert cleo.post(f"/staff/tickets/{ticket.id}/claim").status_code == 303
    back = cleo.post(
        f"/staff/tickets/{ticket.id}/hand-off", **{"handoff-reason": "Called; pay issue left"}
    )
    assert back.status_code == 303 and back.headers["Location"] == "/staff/care"
    assert _ticket(session, ticket.id).team == "support"
    notes = session.scalars(
        select(WorkNote).where(WorkNote.ticket_id == ticket.id).order_by(WorkNote.id)
    ).all()
    assert [n.body for n in notes] == [
        "Support → Care: Upset; please call",
        "Care → Support: Called; pay issue left",
    ]
    assert [a for a, _ in _actions(session, "ticket", ticket.id)] == [
        "ticket_claimed",
        "ticket_handed_off",
        "ticket_claimed",
        "ticket_handed_off",
    ]


def test_support_queue_puts_urgent_first_then_oldest_and_hides_resolved(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    old_normal = make_ticket(session, priority="normal", created_at=clock.advance(hours=-50))
    new_urgent = make_ticket(session, priority="urgent", created_at=clock.advance(hours=48))
    old_high = make_ticket(session, priority="high", created_at=clock.advance(hours=-10))
    resolved = make_ticket(session, priority="urgent", status="resolved")
    clock.advance(hours=12)
    user = make_staff_user(session, role="support")
    session.commit()

    html = _as(app, user).page("/staff/support")

    positions = [html.index(f">#{t.id} ") for t in (new_urgent, old_high, old_normal)]
    assert positions == sorted(positions)
    assert f">#{resolved.id} " not in html
    assert "2 d" in html and "12 h" in html  # ages


def test_care_acknowledges_logs_outreach_escalates_and_resolves_an_alert(
    app: Flask, session: Session
) -> None:
    contractor = make_contractor(session)
    alert = make_alert(session, contractor_id=contractor.id, kind="quit_intent")
    care = make_staff_user(session, role="care")
    session.commit()
    staff = _as(app, care)
    url = f"/staff/alerts/{alert.id}"

    assert staff.post(f"{url}/acknowledge").status_code == 303
    again = staff.post(f"{url}/acknowledge")
    assert again.status_code == 400 and "already acknowledged" in again.get_data(as_text=True)
    assert (
        staff.post(
            f"{url}/outreach", **{"outreach-method": "call", "outreach-note": "Left voicemail"}
        ).status_code
        == 303
    )
    assert staff.post(f"{url}/escalate", **{"escalate-reason": "Wants out"}).status_code == 303
    assert staff.post(f"{url}/resolve", **{"closealert-outcome": "Moved site"}).status_code == 303

    session.expire_all()
    done = session.get_one(Alert, alert.id)
    assert (done.status, done.assignee_id) == ("resolved", care.id)
    log = session.scalars(
        select(WorkNote).where(WorkNote.alert_id == alert.id).order_by(WorkNote.id)
    ).all()
    assert [(n.kind, n.body) for n in log] == [
        ("call", "Left voicemail"),
        ("escalation", "Wants out"),
        ("resolution", "Moved site"),
    ]
    assert [a for a, _ in _actions(session, "alert", alert.id)] == [
        "alert_acknowledged",
        "care_outreach_logged",
        "alert_escalated",
        "alert_resolved",
    ]
    html = staff.page(url)
    assert "Left voicemail" in html and "This alert is resolved." in html


def test_outreach_with_an_unknown_method_is_refused_naming_it(app: Flask, session: Session) -> None:
    alert = make_alert(session)
    care = make_staff_user(session, role="care")
    session.commit()

    answer = _as(app, care).post(
        f"/staff/alerts/{alert.id}/outreach",
        **{"outreach-method": "pigeon", "outreach-note": "coo"},
    )

    assert answer.status_code == 400
    assert "Method &#39;pigeon&#39; is not one of call, text, email" in answer.get_data(
        as_text=True
    )


def test_care_queue_lists_escalated_and_urgent_first_and_handed_tickets(
    app: Flask, session: Session
) -> None:
    normal = make_alert(session, severity="normal")
    urgent = make_alert(session, severity="urgent")
    escalated = make_alert(session, severity="normal", status="escalated")
    handed = make_ticket(session, team="care", category="safety_harassment")
    make_alert(session, status="resolved", kind="silence")
    care = make_staff_user(session, role="care")
    session.commit()

    html = _as(app, care).page("/staff/care")

    positions = [html.index(f">#{a.id} ") for a in (escalated, urgent, normal)]
    assert positions == sorted(positions)
    assert f">#{handed.id} Safety / harassment" in html
    assert "Gone quiet</a>" not in html  # the resolved one is not listed (the filter names it)


def test_reply_links_from_the_queue_lead_to_the_contractor_page(
    app: Flask, session: Session
) -> None:
    contractor = make_contractor(session, name="Ivy Chen")
    reply = make_response(session, contractor_id=contractor.id)
    ticket = make_ticket(session, contractor_id=contractor.id)
    ticket.responses.append(reply)
    user = make_staff_user(session, role="support")
    session.commit()

    html = _as(app, user).page("/staff/support")

    assert f'href="/staff/contractors/{contractor.id}">Ivy Chen</a>' in html
