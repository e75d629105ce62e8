"""Reading replies end to end: Spanish surveys and confirmations, "Needs a look", staff reviews
that move the work and teach the next reader, and the email reply a contractor wrote below
the quote."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Flask
from rq import Queue
from sqlalchemy import select

from core.db import db
from outreach.models import Consent, Contractor
from staff.models import AuditEvent
from surveys import reader
from surveys.analysis import analyze
from surveys.models import Correction, Response, Ticket
from tests.conftest import FrozenClock
from tests.factories import DEFAULT_STAFF_PASSWORD, make_contractor, make_staff_user
from tests.integration.conftest import Live
from tests.outreach_helpers import make_survey
from tests.staff_helpers import signed_in

PHONE = "+12125550147"


def _seed(language: str) -> None:
    # Day 3 of the assignment is Monday 2026-03-02, when the clock says 10:00 in New York.
    with db.session() as session:
        make_survey(session, onboarding_days=[3, 14])
        make_contractor(
            session,
            name="Rosa Diaz",
            phone=PHONE,
            email="rosa@example.com",
            start_date=date(2026, 2, 27),
            client="Acme",
            language=language,
        )


def _tick(live: Live) -> None:
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()


def test_reading_spanish_contractor_gets_spanish_survey_and_spanish_stop_confirmation(
    live: Live, clock: FrozenClock
) -> None:
    _seed("es")
    _tick(live)

    [sent] = live.sandbox.sms()
    assert sent["body"].startswith("Hola Rosa, como va tu asignacion en Acme? Responde del 1 al 5")
    assert "STOP to opt out" not in sent["body"]  # the English text is not sent
    assert "BAJA" in sent["body"]

    assert live.sandbox.reply(PHONE, "STOP") == 200
    answer = live.sandbox.replies()[-1]["answer"]
    assert "te dimos de baja" in answer
    assert live.sandbox.reply(PHONE, "BAJA") == 200  # a repeat: no second confirmation
    with db.session() as session:
        consent = session.scalars(select(Consent).where(Consent.address == PHONE)).one()
        assert consent.opted_out_at is not None


def test_reading_spanish_reply_is_read_into_the_same_labels(live: Live, clock: FrozenClock) -> None:
    _seed("en")
    _tick(live)

    reply = "2 el supervisor me grita enfrente de todos y no me pagaron las horas extras"
    assert live.sandbox.reply(PHONE, reply) == 200
    live.work()

    with db.session() as session:
        response = session.scalars(select(Response)).one()
        assert (response.lang, response.rating, response.negative) == ("es", 2, True)
        assert response.category in {"timecard_pay", "client_conflict"}
        assert response.model_version == reader.current().version
        assert {"negative", "quit_intent", "timecard_pay"} <= set(response.probabilities or {})
        # Ten words of Spanish: from now on we write to Rosa in Spanish.
        contractor = session.scalars(select(Contractor)).one()
        assert contractor.language == "es"


def test_reading_unsure_reply_appears_in_needs_a_look_until_reviewed(app: Flask) -> None:
    # A reply the reader cannot settle: find one by asking it, not by hard-coding an answer.
    candidates = [
        "idk man",
        "the thing with the van again",
        "hmm, about tuesday",
        "well it is what it is",
        "same as last week",
        "they said something weird",
    ]
    unsure = next(text for text in candidates if analyze(text).unsure)
    with db.session() as session:
        contractor = make_contractor(session)
        analysis = analyze(unsure)
        response = Response(
            contractor_id=contractor.id,
            channel="sms",
            text=unsure,
            category=analysis.category,
            negative=analysis.negative,
            quit_intent=analysis.quit_intent,
            needs_look=analysis.needs_look,
            flagged=True,
            flags={"unsure": list(analysis.unsure)},
        )
        session.add(response)
        make_staff_user(session, email="sam@example.com", role="support")
        session.flush()
        response_id = response.id

    staff = signed_in(app.test_client(), "sam@example.com", DEFAULT_STAFF_PASSWORD)
    page = staff.page("/staff/needs-look")
    assert "1 reply waiting" in page
    assert unsure.replace("'", "&#39;") in page

    answer = staff.post(
        f"/staff/replies/{response_id}/review",
        category="none",
        negative="1",
        next="/staff/needs-look",
    )
    assert answer.status_code == 303
    assert "0 replies waiting" in staff.page("/staff/needs-look")


def test_reading_staff_review_moves_the_ticket_and_teaches_the_next_reader(
    app: Flask, tmp_path: Path
) -> None:
    # A reader of its own in tmp_path: training here must not change the other tests' reader
    # (the next create_app points every process back at its configured MODEL_DIR).
    reader.set_directory(tmp_path)
    text = "the vending machine in the break room ate my five dollars again"
    similar = "vending machine in the break room ate my money again"
    target = "equipment_access"
    with app.app_context(), db.session() as session:
        before = analyze(similar)
        assert before.category != target, "pick a reply the reader gets wrong today"
        contractor = make_contractor(session)
        response = Response(
            contractor_id=contractor.id,
            channel="sms",
            text=text,
            category="timecard_pay",
            negative=True,
            model_version=before.model,
        )
        ticket = Ticket(
            contractor_id=contractor.id,
            category="timecard_pay",
            priority="high",
            rule=f"reader {before.model}",
            summary=text,
        )
        ticket.responses.append(response)
        session.add_all([response, ticket])
        make_staff_user(session, email="sam@example.com", role="support")
        session.flush()
        response_id, ticket_id = response.id, ticket.id

    staff = signed_in(app.test_client(), "sam@example.com", DEFAULT_STAFF_PASSWORD)
    answer = staff.post(
        f"/staff/replies/{response_id}/review",
        category=target,
        negative="1",
        next="/staff/replies",
    )
    assert answer.status_code == 303

    with app.app_context(), db.session() as session:
        response = session.get_one(Response, response_id)
        assert (response.category, response.negative, response.reviewed_at is not None) == (
            target,
            True,
            True,
        )
        correction = session.scalars(select(Correction)).one()
        assert correction.before["category"] == "timecard_pay"
        assert correction.after["category"] == target
        assert session.get_one(Ticket, ticket_id).category == target  # the ticket moved
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "reply.review")).one()
        assert event.target_id == response_id

    result = app.test_cli_runner().invoke(args=["surveys", "train", "--folds", "0"])
    assert result.exit_code == 0, result.output
    assert "1 staff correction(s)" in result.output
    reader.forget()
    with app.app_context():
        after = analyze(similar)
    assert after.model != before.model
    assert after.category == target
    assert (tmp_path / f"reader-{after.model}.md").read_text().startswith(f"# Reader {after.model}")


def test_reading_bottom_posted_email_reply_yields_the_contractors_words(
    live: Live, clock: FrozenClock
) -> None:
    _seed("en")
    with db.session() as session:
        contractor = session.scalars(select(Contractor)).one()
        contractor.channel = "email"
    _tick(live)
    [sent] = live.sandbox.emails()
    quote = "\n".join(f"> {line}" for line in sent["text"].splitlines())
    body = (
        f"On Mon, Mar 2, 2026 at 10:00 AM Contractor Pulse <{sent['from']}> wrote:\n"
        f"{quote}\n\n"
        "2, my badge still does not open the loading dock door and I wait outside every morning\n"
        "\nSent from my iPhone\n"
    )
    assert live.sandbox.email_reply("rosa@example.com", body, quote=False) == 200
    live.work()

    with db.session() as session:
        response = session.scalars(select(Response)).one()
        assert response.text == (
            "2, my badge still does not open the loading dock door and I wait outside every morning"
        )
        assert response.rating == 2
