"""The consent record a carrier's reviewer asks for: every change with its source, the text
version shown, when and who; the opt-in confirmation once per number; the export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from outreach import consent, consent_log, consent_texts
from outreach.consent_log import AppendOnlyError
from outreach.models import ConsentEvent, Contractor
from outreach.roster import import_roster
from tests.conftest import FrozenClock
from tests.factories import DEFAULT_STAFF_PASSWORD, make_contractor, make_staff_user
from tests.fakes import FakeChannel
from tests.outreach_helpers import make_invitation, make_survey, send
from tests.staff_helpers import signed_in
from tests.webhook_helpers import CONTRACTOR_PHONE, inbound_sms, post_twilio

ROSTER_ROW = {
    "external_id": "EXT-9",
    "name": "Rosa Diaz",
    "phone": CONTRACTOR_PHONE,
    "email": "rosa@example.com",
    "timezone": "America/Chicago",
    "start_date": "2026-02-27",
    "client": "Acme",
    "account_manager": "Dana",
}


def _events(session: Session, address: str) -> list[tuple[str, str, str | None, str]]:
    session.expire_all()
    rows = session.scalars(
        select(ConsentEvent).where(ConsentEvent.address == address).order_by(ConsentEvent.id)
    )
    return [(e.change, e.source, e.text_version, e.actor) for e in rows]


def _sms(client: object, settings: Settings, body: str) -> None:
    answer = post_twilio(client, settings, "/webhooks/twilio/sms", inbound_sms(body))  # type: ignore[arg-type]
    assert answer.status_code == 200


def test_consent_roster_import_records_the_text_version_and_never_undoes_a_stop(
    session: Session, client: object, settings: Settings, clock: FrozenClock
) -> None:
    report = import_roster(session, [(2, {**ROSTER_ROW, "state": "Texas"})], default_region="US")
    session.commit()
    assert report.ok
    roster_version = consent_texts.current_version("roster_import")
    assert _events(session, CONTRACTOR_PHONE) == [
        ("opt_in", "roster_import", roster_version, "roster")
    ]
    assert session.scalar(select(Contractor.state)) == "TX"

    clock.advance(days=1)
    _sms(client, settings, "STOP")
    clock.advance(days=1)
    import_roster(session, [(2, ROSTER_ROW)], default_region="US")  # the nightly re-send
    session.commit()
    session.expire_all()
    assert consent.reach(session, CONTRACTOR_PHONE) is consent.Reach.OPTED_OUT
    assert [e[0] for e in _events(session, CONTRACTOR_PHONE)] == ["opt_in", "opt_out"]
    assert session.scalar(select(Contractor.state)) == "TX"  # a roster without the column keeps it


def test_consent_roster_reads_the_state_from_an_address_and_names_a_bad_state(
    session: Session,
) -> None:
    rows = [
        (2, {**ROSTER_ROW, "address": "1 Main St, Lexington, KY 40507"}),
        (3, {**ROSTER_ROW, "external_id": "EXT-10", "phone": "", "state": "Texass"}),
    ]
    report = import_roster(session, rows, default_region="US")
    assert [str(e) for e in report.errors] == [
        "line 3: state: 'Texass' is not a US state (a code such as TX, or a name such as Texas)"
    ]
    assert session.scalar(select(Contractor.state)) == "KY"


@pytest.mark.parametrize("again", ["START", "UNSTOP", "unstop", "Yes"])
def test_consent_stop_then_start_or_unstop_resubscribes_and_both_are_recorded(
    session: Session, client: object, settings: Settings, again: str
) -> None:
    _sms(client, settings, "STOP")
    assert consent.reach(session, CONTRACTOR_PHONE) is consent.Reach.OPTED_OUT
    _sms(client, settings, again)
    session.expire_all()
    assert consent.reach(session, CONTRACTOR_PHONE) is consent.Reach.OK
    assert _events(session, CONTRACTOR_PHONE) == [
        ("opt_out", "keyword", consent_texts.current_version("opt_out_keyword"), "contractor"),
        ("opt_in", "keyword", consent_texts.current_version("opt_in_keyword"), "contractor"),
    ]


def test_consent_duplicate_stop_webhook_records_one_event(
    session: Session, client: object, settings: Settings
) -> None:
    params = inbound_sms("STOP")
    for _ in range(2):
        answer = post_twilio(client, settings, "/webhooks/twilio/sms", params)  # type: ignore[arg-type]
        assert answer.status_code == 200
    assert len(_events(session, CONTRACTOR_PHONE)) == 1


def test_consent_opt_in_confirmation_goes_once_per_number_ahead_of_the_first_survey(
    session: Session, clock: FrozenClock
) -> None:
    channels = {"sms": FakeChannel("sms"), "email": FakeChannel("email")}
    contractor = make_contractor(session, phone=CONTRACTOR_PHONE, language="es")
    consent_log.roster_consent(session, [(CONTRACTOR_PHONE, "sms")], actor="roster")
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    first = make_invitation(session, make_survey(session), contractor.id)
    second = make_invitation(session, make_survey(session), contractor.id)
    session.commit()
    assert send(session, first.id, channels) == "sent"
    assert send(session, second.id, channels) == "sent"

    bodies = [m.body for m in channels["sms"].sent]
    version = consent_texts.current_version("first_contact")
    confirmation = consent_texts.consent_texts().text(
        version, "es", program="Contractor Pulse", limit=4
    )
    assert bodies[0].startswith(confirmation + "\n\n")
    assert confirmation not in bodies[1]
    events = _events(session, CONTRACTOR_PHONE)
    assert events[1:] == [("confirmation_sent", "first_contact", version, "system")]


def test_consent_opt_in_confirmation_waits_for_a_send_that_went(
    session: Session, clock: FrozenClock
) -> None:
    from outreach.channels import ChannelError, Failure

    channels = {"sms": FakeChannel("sms"), "email": FakeChannel("email")}
    contractor = make_contractor(session, phone=CONTRACTOR_PHONE, email=None)
    consent_log.roster_consent(session, [(CONTRACTOR_PHONE, "sms")], actor="roster")
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    first = make_invitation(session, make_survey(session), contractor.id)
    second = make_invitation(session, make_survey(session), contractor.id)
    session.commit()
    channels["sms"].fail_next(
        ChannelError("carrier said no", failure=Failure.REJECTED, code="30007")
    )
    assert send(session, first.id, channels) == "failed"
    assert send(session, second.id, channels) == "sent"
    assert channels["sms"].sent[0].body.startswith("Contractor Pulse: you are signed up")
    assert [e[0] for e in _events(session, CONTRACTOR_PHONE)] == ["opt_in", "confirmation_sent"]


def test_consent_no_confirmation_for_an_address_without_a_roster_or_form_opt_in(
    session: Session, clock: FrozenClock
) -> None:
    channels = {"sms": FakeChannel("sms"), "email": FakeChannel("email")}
    contractor = make_contractor(session, phone=CONTRACTOR_PHONE)
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    invitation = make_invitation(session, make_survey(session), contractor.id)
    session.commit()
    assert send(session, invitation.id, channels) == "sent"
    assert channels["sms"].sent[0].body.startswith("Hi ")
    assert _events(session, CONTRACTOR_PHONE) == []


def test_consent_event_cannot_be_changed_or_deleted(session: Session) -> None:
    consent.record_opt_out(session, CONTRACTOR_PHONE, "sms", source="staff", actor="staff:1")
    session.commit()
    event = session.scalars(select(ConsentEvent)).one()
    event.source = "keyword"
    with pytest.raises(AppendOnlyError):
        session.commit()
    session.rollback()
    session.delete(session.scalars(select(ConsentEvent)).one())
    with pytest.raises(AppendOnlyError):
        session.commit()
    session.rollback()


def test_consent_export_cli_writes_csv_and_json_for_a_number(
    app: Flask, session: Session, client: object, settings: Settings, clock: FrozenClock
) -> None:
    import_roster(session, [(2, ROSTER_ROW)], default_region="US")
    session.commit()
    clock.advance(days=1)
    _sms(client, settings, "STOP")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["consent", "export", CONTRACTOR_PHONE])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [(r["change"], r["source"]) for r in rows] == [
        ("opt_in", "roster_import"),
        ("opt_out", "keyword"),
    ]
    assert rows[0]["address"] == CONTRACTOR_PHONE  # a number, not quoted as a formula
    assert "I agree to receive short survey texts" in rows[0]["text"]

    result = runner.invoke(args=["consent", "export", CONTRACTOR_PHONE, "--format", "json"])
    data = json.loads(result.output)
    assert data["addresses"] == [
        {
            "address": CONTRACTOR_PHONE,
            "state": "opted_out",
            "opted_in_at": data["addresses"][0]["opted_in_at"],
            "opted_out_at": data["addresses"][0]["opted_out_at"],
        }
    ]
    assert [e["change"] for e in data["events"]] == ["opt_in", "opt_out"]


def test_consent_history_shows_on_the_contractor_page_and_admins_download_it(
    app: Flask, session: Session, client: object, settings: Settings
) -> None:
    import_roster(session, [(2, ROSTER_ROW)], default_region="US")
    admin = make_staff_user(session, role="admin")
    support = make_staff_user(session, role="support")
    contractor_id = session.scalar(select(Contractor.id))
    session.commit()
    _sms(client, settings, "STOP")

    boss = signed_in(app.test_client(), admin.email, DEFAULT_STAFF_PASSWORD)
    html = boss.page(f"/staff/contractors/{contractor_id}")
    assert "Consent history" in html and "roster import" in html and "opt out" in html
    answer = boss.get(f"/staff/contractors/{contractor_id}/consent.csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="consent-EXT-9.csv"'
    assert len(list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))) == 3
    answer = boss.get(f"/staff/contractors/{contractor_id}/consent.json")
    assert {e["address"] for e in answer.get_json()["events"]} == {
        CONTRACTOR_PHONE,
        "rosa@example.com",
    }
    assert boss.get(f"/staff/contractors/{contractor_id}/consent.xml").status_code == 404

    sam = signed_in(app.test_client(), support.email, DEFAULT_STAFF_PASSWORD)
    assert "Consent history" in sam.page(f"/staff/contractors/{contractor_id}")
    assert sam.get(f"/staff/contractors/{contractor_id}/consent.csv").status_code == 403


def test_consent_roster_import_of_a_new_contractor_today(session: Session) -> None:
    report = import_roster(session, [(2, ROSTER_ROW)], default_region="US")
    assert report.created == 1
    assert {e.address for e in session.scalars(select(ConsentEvent))} == {
        CONTRACTOR_PHONE,
        "rosa@example.com",
    }


def test_consent_provider_21610_is_recorded_with_its_source_and_message(
    session: Session, clock: FrozenClock
) -> None:
    from outreach.channels import ChannelError, Failure

    channels = {"sms": FakeChannel("sms"), "email": FakeChannel("email")}
    contractor = make_contractor(session, phone=CONTRACTOR_PHONE, email=None)
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    invitation = make_invitation(session, make_survey(session), contractor.id)
    session.commit()
    channels["sms"].fail_next(
        ChannelError("unsubscribed recipient", failure=Failure.OPTED_OUT, code="21610")
    )
    assert send(session, invitation.id, channels) == "skipped"
    session.expire_all()
    event = session.scalars(select(ConsentEvent)).one()
    assert (event.change, event.source, event.actor) == ("opt_out", "21610", "provider:sms")
    assert event.message_id is not None
    assert consent.reach(session, CONTRACTOR_PHONE) is consent.Reach.OPTED_OUT
