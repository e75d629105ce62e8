"""Talking with the contractor from a ticket or alert: the reply box and "Log outreach" send
through the one delivery path, and nothing can be sent to someone who opted out."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import consent
from outreach.delivery import send_staff_message
from outreach.models import Message
from staff import survey_admin
from staff.models import WorkNote
from staff.notify.models import CannedReply
from tests.conftest import FrozenClock
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_message,
    make_response,
    make_staff_user,
    make_ticket,
)
from tests.fakes import FakeChannel
from tests.outreach_helpers import make_survey
from tests.staff_helpers import signed_in


def _staff(app: Flask, session: Session, role: str) -> object:
    user = make_staff_user(session, role=role)
    session.commit()
    return signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)


def _messages(session: Session) -> list[Message]:
    session.expire_all()
    return list(session.scalars(select(Message).where(Message.direction == "outbound")))


def test_reply_from_ticket_queues_a_staff_message_and_notes_it_on_the_ticket(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    ana = make_contractor(session, name="Ana Ortiz", timezone="America/New_York")
    ticket = make_ticket(session, contractor_id=ana.id)
    make_message(session, contractor_id=ana.id, from_address=ana.phone, body="pay is late")
    staff = _staff(app, session, "support")

    page = staff.page(f"/staff/tickets/{ticket.id}")
    assert "Conversation with Ana Ortiz" in page and "pay is late" in page
    assert ana.phone in page and ana.email in page and "10:00" in page  # their local time

    answer = staff.post(
        f"/staff/tickets/{ticket.id}/reply",
        **{"workreply-channel": "sms", "workreply-body": "We are on it, Ana."},
    )

    assert answer.status_code == 303
    [message] = _messages(session)
    assert (message.to_address, message.body, message.status) == (
        ana.phone,
        "We are on it, Ana.",
        "scheduled",
    )
    notes = session.scalars(select(WorkNote).where(WorkNote.ticket_id == ticket.id)).all()
    assert [(n.kind, n.body) for n in notes] == [("text", "We are on it, Ana.")]
    page = staff.page(f"/staff/tickets/{ticket.id}")
    assert page.index("pay is late") < page.index("We are on it, Ana.")


def test_reply_outside_the_window_says_when_it_will_go(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    far = make_contractor(session, timezone="Asia/Tokyo")  # 00:00 there at 15:00 UTC
    ticket = make_ticket(session, contractor_id=far.id)
    staff = _staff(app, session, "support")

    staff.post(
        f"/staff/tickets/{ticket.id}/reply",
        **{"workreply-channel": "sms", "workreply-body": "Call us tomorrow."},
    )

    page = staff.page(f"/staff/tickets/{ticket.id}")
    assert "it waits until 08:00 on Tue 03 Mar, their time" in page


def test_opted_out_contractor_cannot_be_messaged_from_reply_box_or_log_outreach(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    ivan = make_contractor(session, name="Ivan Petrov")
    consent.record_opt_out(session, ivan.phone or "", "sms", "keyword")  # STOP by text
    ticket = make_ticket(session, contractor_id=ivan.id)
    alert = make_alert(session, contractor_id=ivan.id)
    support = _staff(app, session, "support")
    care = _staff(app, session, "care")

    page = support.page(f"/staff/tickets/{ticket.id}")
    assert "Ivan Petrov cannot be messaged" in page and "Stopped: opted out by SMS" in page
    by_email = support.post(
        f"/staff/tickets/{ticket.id}/reply",
        **{"workreply-channel": "email", "workreply-body": "Are you ok?"},
    )
    on_alert = care.post(
        f"/staff/alerts/{alert.id}/reply",
        **{"workreply-channel": "sms", "workreply-body": "Are you ok?"},
    )
    logged = care.post(
        f"/staff/alerts/{alert.id}/outreach",
        **{"outreach-method": "email", "outreach-note": "Are you ok?"},
    )

    assert (by_email.status_code, on_alert.status_code, logged.status_code) == (400, 400, 400)
    assert "opted out of email messages" in by_email.get_data(as_text=True)
    assert "opted out of sms messages" in on_alert.get_data(as_text=True)
    assert "opted out of email messages" in logged.get_data(as_text=True)
    assert _messages(session) == []
    assert session.scalars(select(WorkNote)).all() == []


def test_log_outreach_by_text_sends_the_text(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    kim = make_contractor(session, name="Kim Lee")
    alert = make_alert(session, contractor_id=kim.id)
    care = _staff(app, session, "care")

    answer = care.post(
        f"/staff/alerts/{alert.id}/outreach",
        **{"outreach-method": "text", "outreach-note": "Kim, can we talk today?"},
    )

    assert answer.status_code == 303
    [message] = _messages(session)
    assert (message.channel, message.to_address, message.body) == (
        "sms",
        kim.phone,
        "Kim, can we talk today?",
    )


def test_staff_email_queued_before_an_sms_stop_is_suppressed_when_its_turn_comes(
    session: Session, clock: FrozenClock
) -> None:
    # Consent is read when it goes: a STOP by text after the email was queued stops it too.
    rosa = make_contractor(session)
    email = make_message(
        session,
        direction="outbound",
        channel="email",
        contractor_id=rosa.id,
        provider_id=None,
        to_address=rosa.email,
        subject="Hello",
        body="Checking in",
        status="scheduled",
    )
    consent.record_opt_out(session, rosa.phone or "", "sms", "keyword")
    session.commit()
    channels = {"sms": FakeChannel("sms"), "email": FakeChannel("email")}

    status = send_staff_message(session, email.id, channels, sender="pulse@example.com")

    assert status == "suppressed"
    assert channels["email"].sent == []


def test_canned_reply_is_filled_in_for_the_contractor_in_spanish(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    luis = make_contractor(session, name="Luis Gómez", language="es", account_manager="Dana Reyes")
    ticket = make_ticket(session, contractor_id=luis.id)
    reply = CannedReply(
        title="Pago",
        language="es",
        body="Hola {first_name}, {account_manager} te llama. Pago: {payday}.",
    )
    session.add(reply)
    staff = _staff(app, session, "support")

    staff.post(
        f"/staff/tickets/{ticket.id}/reply",
        **{"workreply-channel": "sms", "workreply-body": "", "workreply-canned": str(reply.id)},
    )

    [message] = _messages(session)
    assert message.body == "Hola Luis, Dana Reyes te llama. Pago: viernes."


def test_canned_reply_with_an_unknown_variable_is_refused_naming_it(
    app: Flask, session: Session
) -> None:
    user = make_staff_user(session, role="admin")
    session.commit()
    admin = signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)

    answer = admin.post(
        "/staff/admin/canned-replies",
        **{
            "cannedreply-title": "Oops",
            "cannedreply-language": "en",
            "cannedreply-body": "Hi {name}",
        },
    )

    assert answer.status_code == 400
    assert "Unknown variable {name}" in answer.get_data(as_text=True)
    assert session.scalars(select(CannedReply)).all() == []


def test_next_sends_leave_out_a_contractor_who_opted_out_on_any_channel(
    session: Session, clock: FrozenClock
) -> None:
    survey = make_survey(session, onboarding_days=[30], pulse_every_days=None)
    make_contractor(session, name="Stays")
    stopped = make_contractor(session, name="Stopped")
    consent.record_opt_out(session, stopped.phone or "", "sms", "keyword")

    names = {p.contractor.name for p in survey_admin.next_sends(session, survey.id, days=14)}

    assert names == {"Stays"}


def test_times_show_in_the_staff_users_own_zone(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    ticket = make_ticket(session, contractor_id=make_contractor(session).id)
    staff = _staff(app, session, "support")
    saved = staff.post(
        "/staff/account/notifications",
        **{"notifysettings-by_email": "y", "notifysettings-timezone": "America/Chicago"},
    )
    assert saved.status_code == 303

    page = staff.page(f"/staff/tickets/{ticket.id}")

    assert re.search(r"2026-03-02 09:00 CST", page)
    assert "15:00 UTC" not in page


def test_contractor_answer_on_an_open_ticket_flags_it_until_staff_act(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    ben = make_contractor(session, name="Ben Carter")
    ticket = make_ticket(session, contractor_id=ben.id)
    staff = _staff(app, session, "support")
    assert "New answer" not in staff.page(f"/staff/tickets/{ticket.id}")

    clock.advance(minutes=5)
    make_message(session, contractor_id=ben.id, from_address=ben.phone, body="any news?")
    session.commit()
    flagged = staff.page(f"/staff/tickets/{ticket.id}")
    clock.advance(minutes=5)
    staff.post(
        f"/staff/tickets/{ticket.id}/reply",
        **{"workreply-channel": "sms", "workreply-body": "Yes: fixed today."},
    )

    assert "New answer" in flagged and "Ben Carter wrote" in flagged
    assert "New answer" not in staff.page(f"/staff/tickets/{ticket.id}")


def test_unknown_sender_is_linked_to_a_contractor_with_its_replies_and_work(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    cleo = make_contractor(session, name="Cleo Park", external_id="ATS-77")
    reply = make_response(session, contractor_id=None, text="it is Cleo, new phone: pay late")
    message = make_message(
        session, from_address="+12125550999", body="it is Cleo, new phone: pay late"
    )
    message.response_id = reply.id
    ticket = make_ticket(session, contractor_id=None)
    ticket.responses.append(reply)
    staff = _staff(app, session, "care")
    assert "+12125550999" in staff.page("/staff/unknown-senders")

    wrong = staff.post(
        "/staff/unknown-senders/link",
        **{"linksender-address": "+12125550999", "linksender-external_id": "ATS-00"},
    )
    right = staff.post(
        "/staff/unknown-senders/link",
        **{"linksender-address": "+12125550999", "linksender-external_id": "ATS-77"},
    )

    assert wrong.status_code == 400
    assert "No contractor has the external ID &#39;ATS-00&#39;" in wrong.get_data(as_text=True)
    assert right.status_code == 303
    session.expire_all()
    assert (message.contractor_id, reply.contractor_id, ticket.contractor_id) == (cleo.id,) * 3
    assert "Every message matches a contractor." in staff.page("/staff/unknown-senders")
    assert "new phone: pay late" in staff.page(f"/staff/contractors/{cleo.id}")
