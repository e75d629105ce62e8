"""The Reading rules page: admins read the must-catch rules and add or switch off their own
phrases, which a worker already running applies from the next reply on."""

from __future__ import annotations

import json
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import db
from outreach.models import Contractor
from staff.models import AuditEvent
from surveys import must_catch
from surveys.models import MustCatchPhrase, Response, Ticket
from tests.factories import DEFAULT_STAFF_PASSWORD, make_contractor, make_staff_user
from tests.integration.conftest import Live
from tests.outreach_helpers import start_worker, stop_worker, worker_env
from tests.staff_helpers import Staff, signed_in

# Not caught by rules.toml; what the reader makes of it does not matter here.
PHRASE = "black mold"


def _admin(app: Flask, session: Session) -> Staff:
    admin = make_staff_user(session, role="admin", email="rules-admin@example.com")
    session.commit()
    return signed_in(app.test_client(), admin.email, DEFAULT_STAFF_PASSWORD)


def _form(**values: str) -> dict[str, str]:
    fields = {
        "phrase": PHRASE,
        "except_phrases": "",
        "category": "safety_harassment",
        "priority": "urgent",
        **values,
    }
    return {f"mustcatch-{k}": v for k, v in fields.items()}


def test_reading_rules_page_shows_packaged_rules_and_adds_a_phrase_audited(
    app: Flask, session: Session
) -> None:
    staff = _admin(app, session)
    page = staff.page("/staff/reading-rules")
    assert "weapon" in page and "nail gun" in page  # rules.toml, with its look-alikes

    answer = staff.post(
        "/staff/reading-rules", **_form(except_phrases="black mold remover\n  \nblack mold test")
    )

    assert answer.status_code == 303
    [phrase] = session.scalars(select(MustCatchPhrase))
    assert (phrase.phrase, phrase.category, phrase.priority, phrase.active) == (
        PHRASE,
        "safety_harassment",
        "urgent",
        True,
    )
    assert phrase.except_phrases == ["black mold remover", "black mold test"]
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "must_catch_added"))
    assert (event.target_id, event.detail["phrase"]) == (phrase.id, PHRASE)
    shown = staff.page(answer.headers["Location"])
    assert f"staff-{phrase.id}" in shown and "reads every reply from now on" in shown


def test_reading_rules_bad_phrase_is_refused_with_an_error_naming_the_field(
    app: Flask, session: Session
) -> None:
    staff = _admin(app, session)
    for values, field, words in [
        ({"phrase": "  "}, "phrase", "must not be empty"),
        ({"phrase": "mold (behind"}, "phrase", "does not compile"),
        ({"except_phrases": "ok\nbad [range"}, "except_phrases", "does not compile"),
        ({"category": "none"}, "category", "is not one of"),
        ({"priority": "asap"}, "priority", "is not one of"),
        # Fires on hundreds of ordinary pay replies: it would flood Support with urgent tickets.
        ({"phrase": "pay*"}, "phrase", "make it narrower"),
    ]:
        answer = staff.post("/staff/reading-rules", **_form(**values))
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400, values
        assert f'id="mustcatch-{field}-error"' in html, values
        assert words in html, values
    assert session.scalars(select(MustCatchPhrase)).all() == []


def test_reading_rules_page_is_for_admins_only(app: Flask, session: Session) -> None:
    user = make_staff_user(session, role="support", email="support-rules@example.com")
    session.commit()
    staff = signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)
    assert staff.get("/staff/reading-rules").status_code == 403
    assert staff.post("/staff/reading-rules", **_form()).status_code == 403


def test_reading_rules_phrase_text_is_escaped(app: Flask, session: Session) -> None:
    staff = _admin(app, session)
    answer = staff.post("/staff/reading-rules", **_form(phrase="<b>mold</b> spores"))
    assert answer.status_code in (303, 400)
    page = staff.page("/staff/reading-rules")
    assert "<b>mold</b>" not in page


def _read(live: Live, phone: str, body: str) -> Response:
    """Text as a contractor and wait for the running worker to read it (the webhook wakes it)."""
    assert live.sandbox.reply(phone, body) == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db.session() as session:
            found = session.scalars(
                select(Response).join(Contractor).where(Contractor.phone == phone)
            ).one_or_none()
            if found is not None:
                return found
        time.sleep(0.2)
    raise AssertionError(f"the worker did not read {body!r} within 60 s")


def test_reading_rules_phrase_fires_in_a_worker_already_running_then_stops_when_switched_off(
    live: Live, tmp_path: Path
) -> None:
    phones = [f"+1212555016{n}" for n in range(3)]
    with db.session() as session:
        for phone in phones:
            make_contractor(session, phone=phone, client="Acme")
        staff = _admin(live.app, session)
    worker = start_worker(worker_env(live.app.config["SETTINGS"]), tmp_path / "worker.log")
    try:
        before = _read(live, phones[0], "there is black mold all over the break room ceiling")
        assert (before.flags or {}).get("rule") is None

        assert staff.post("/staff/reading-rules", **_form()).status_code == 303
        with db.session() as session:
            phrase_id = session.scalars(select(MustCatchPhrase.id)).one()
        caught = _read(live, phones[1], "the black mold in the locker room is back, smells awful")
        assert (caught.flags or {}).get("rule") == must_catch.rule_id(phrase_id)
        assert caught.category == "safety_harassment"
        with db.session() as session:
            ticket = session.scalars(
                select(Ticket).where(Ticket.rule == must_catch.rule_id(phrase_id))
            ).one()
            assert ticket.priority == "urgent"

        assert staff.post(f"/staff/reading-rules/{phrase_id}", active="off").status_code == 303
        after = _read(live, phones[2], "still black mold by the vending machines")
        assert (after.flags or {}).get("rule") is None
    finally:
        stop_worker(worker)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert "Traceback" not in log, log


def test_reading_rules_switching_a_phrase_off_and_on_is_audited(
    app: Flask, session: Session
) -> None:
    staff = _admin(app, session)
    staff.post("/staff/reading-rules", **_form())
    phrase_id = session.scalars(select(MustCatchPhrase.id)).one()
    assert staff.post(f"/staff/reading-rules/{phrase_id}", active="off").status_code == 303
    assert staff.post(f"/staff/reading-rules/{phrase_id}", active="on").status_code == 303
    assert staff.post(f"/staff/reading-rules/{phrase_id}", active="maybe").status_code == 400
    assert staff.post("/staff/reading-rules/999999", active="off").status_code == 404
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.target_type == "must_catch_phrase")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["must_catch_added", "must_catch_disabled", "must_catch_enabled"]
    with db.session() as fresh:
        assert [r.id for r in must_catch.in_force(fresh).rules if r.id.startswith("staff-")] == [
            must_catch.rule_id(phrase_id)
        ]


def test_analyze_command_reads_with_the_staff_phrases_in_the_database(
    app: Flask, session: Session
) -> None:
    phrase = MustCatchPhrase(
        phrase=PHRASE, except_phrases=[], category="safety_harassment", priority="high"
    )
    session.add(phrase)
    session.commit()
    result = app.test_cli_runner().invoke(
        args=["surveys", "analyze", "black mold in the vents again"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["rule"], data["category"], data["priority"]) == (
        must_catch.rule_id(phrase.id),
        "safety_harassment",
        "high",
    )
