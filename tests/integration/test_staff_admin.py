"""Admin pages: survey wording and cadence, staff users, the audit log, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.models import Survey
from staff.models import AuditEvent, StaffUser
from tests.conftest import FrozenClock
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_response,
    make_staff_user,
    make_ticket,
)
from tests.integration.test_staff_work import make_survey
from tests.staff_helpers import Staff, signed_in

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _admin(app: Flask, session: Session) -> tuple[Staff, StaffUser]:
    admin = make_staff_user(session, role="admin", email="boss@example.com")
    session.commit()
    return signed_in(app.test_client(), admin.email, DEFAULT_STAFF_PASSWORD), admin


def _survey_form(survey: Survey, **changes: str) -> dict[str, str]:
    values = {
        "name": survey.name,
        "question": survey.question,
        "scale_max": str(survey.scale_max),
        "sms_template": survey.sms_template,
        "email_subject": survey.email_subject,
        "email_template": survey.email_template,
        "onboarding_days": ", ".join(map(str, survey.onboarding_days)),
        "pulse_every_days": str(survey.pulse_every_days or ""),
        "window_start": survey.window_start,
        "window_end": survey.window_end,
        "weekdays_only": "y",
        "active": "y",
    }
    values.update(changes)
    return {f"survey-{k}": v for k, v in values.items()}


def test_admin_edits_survey_cadence_and_the_change_is_audited(app: Flask, session: Session) -> None:
    survey = make_survey(session)
    staff, admin = _admin(app, session)

    answer = staff.post(
        f"/staff/surveys/{survey.id}",
        **_survey_form(survey, onboarding_days="14, 3, 30", pulse_every_days="21"),
    )

    assert answer.status_code == 303
    session.expire_all()
    saved = session.get_one(Survey, survey.id)
    assert (saved.onboarding_days, saved.pulse_every_days) == ([3, 14, 30], 21)
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "survey_edited"))
    assert (event.staff_user_id, event.detail["fields"]) == (
        admin.id,
        ["onboarding_days", "pulse_every_days"],
    )
    assert "Saved: onboarding_days, pulse_every_days." in staff.page(answer.headers["Location"])


def test_survey_with_an_unknown_placeholder_is_refused_naming_field_and_placeholder(
    app: Flask, session: Session
) -> None:
    survey = make_survey(session)
    staff, _ = _admin(app, session)

    answer = staff.post(
        f"/staff/surveys/{survey.id}",
        **_survey_form(survey, sms_template="Hi {firstname}! Reply STOP to opt out."),
    )

    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert 'id="survey-sms_template-error"' in html
    assert "{firstname} is not a placeholder" in html
    session.expire_all()
    assert session.get_one(Survey, survey.id).sms_template == survey.sms_template


def test_survey_page_lists_the_next_sends_in_each_contractors_zone(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    survey = make_survey(session, onboarding_days=[3, 14], pulse_every_days=None)
    # Day 3 today and day 14 in eleven days; the other started too long ago.
    make_contractor(session, name="Due Today", start_date=date(2026, 2, 27))
    make_contractor(session, name="Long Gone", start_date=date(2025, 1, 1))
    staff, _ = _admin(app, session)

    html = staff.page(f"/staff/surveys/{survey.id}")

    assert "2 sends in the next 14 days" in html
    assert html.index("Mon 02 Mar") < html.index("Fri 13 Mar")
    assert "Due Today" in html and "Long Gone" not in html
    assert '<td data-label="Next 14 days">2 sends</td>' in staff.page("/staff/surveys")


def test_admin_creates_a_user_who_can_sign_in_and_changes_their_role(
    app: Flask, session: Session
) -> None:
    staff, _ = _admin(app, session)

    answer = staff.post(
        "/staff/users",
        **{
            "newuser-email": "Kim@Example.com",
            "newuser-role": "care",
            "newuser-password": "long enough pw",
        },
    )

    assert answer.status_code == 303
    kim = session.scalars(select(StaffUser).where(StaffUser.email == "kim@example.com")).one()
    assert kim.role == "care"
    assert signed_in(app.test_client(), "kim@example.com", "long enough pw")
    changed = staff.post(f"/staff/users/{kim.id}", **{f"user{kim.id}-role": "support"})
    assert changed.status_code == 303
    session.expire_all()
    assert (kim.role, kim.active) == ("support", False)  # the unticked box switches it off
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.target_type == "staff_user")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["staff_user_created", "staff_user_changed"]


def test_admin_cannot_lock_themselves_out(app: Flask, session: Session) -> None:
    staff, admin = _admin(app, session)

    answer = staff.post(f"/staff/users/{admin.id}", **{f"user{admin.id}-role": "care"})

    assert answer.status_code == 400
    assert "cannot change your own role" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get_one(StaffUser, admin.id).role == "admin"


def test_new_user_with_a_short_password_is_refused_naming_the_field(
    app: Flask, session: Session
) -> None:
    staff, _ = _admin(app, session)

    answer = staff.post(
        "/staff/users",
        **{"newuser-email": "kim@example.com", "newuser-role": "care", "newuser-password": "short"},
    )

    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert 'id="newuser-password-error"' in html and "at least 8 characters" in html


def test_audit_log_shows_who_did_what_and_filters_by_action(app: Flask, session: Session) -> None:
    support = make_staff_user(session, role="support", email="sam@example.com")
    ticket = make_ticket(session)
    session.commit()
    sam = signed_in(app.test_client(), support.email, DEFAULT_STAFF_PASSWORD)
    sam.post(f"/staff/tickets/{ticket.id}/claim")
    staff, _ = _admin(app, session)

    everything = staff.page("/staff/audit")
    claims = staff.page("/staff/audit?action=ticket_claimed")

    assert "Claimed ticket" in everything and "Signed in" in everything
    assert "sam@example.com" in claims and f'href="/staff/tickets/{ticket.id}"' in claims
    assert "Signed in" not in claims.split("<tbody>")[1]
    assert staff.get("/staff/audit?action=nonsense").status_code == 400


def _export(staff: Staff, **form: str) -> Any:
    return staff.post("/staff/export", **form)


def test_export_writes_replies_with_analysis_and_escapes_formulas(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    ana = make_contractor(session, name="=cmd|' /C calc'!A0", client="Globex", external_id="A-1")
    ben = make_contractor(session, name="Ben", client="Initech")
    first = make_response(
        session,
        contractor_id=ana.id,
        text="+1 great",
        rating=5,
        polarity=-0.25,
        flags={"cues": ["@boss said so"]},
        created_at=T0 - timedelta(days=2),
    )
    make_response(session, contractor_id=ana.id, text="-2 bad", created_at=T0 - timedelta(days=40))
    make_response(session, contractor_id=ben.id, text="@home", created_at=T0 - timedelta(days=1))
    ticket = make_ticket(session, contractor_id=ana.id)
    ticket.responses.append(first)
    staff, admin = _admin(app, session)

    answer = _export(staff, date_from="2026-02-20", date_to="2026-03-02", client="Globex")

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert 'filename="replies_2026-02-20_2026-03-02.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert len(rows) == 1
    [row] = rows
    assert row["contractor_name"] == "'=cmd|' /C calc'!A0"
    assert row["text"] == "'+1 great"
    assert row["cues"] == "'@boss said so"
    assert row["polarity"] == "-0.25"  # a number stays a number
    assert (row["rating"], row["category"], row["ticket_ids"]) == (
        "5",
        "timecard_pay",
        str(ticket.id),
    )
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "replies_exported"))
    assert event.staff_user_id == admin.id
    assert event.detail["filters"] == {
        "client": "Globex",
        "date_from": "2026-02-20",
        "date_to": "2026-03-02",
    }


def test_export_needs_a_date_range_and_names_the_missing_end(app: Flask, session: Session) -> None:
    staff, _ = _admin(app, session)

    missing = _export(staff, date_from="2026-02-01")
    malformed = _export(staff, date_from="2026-02-31", date_to="2026-03-01")

    assert missing.status_code == 400 and "(date_to)" in missing.get_data(as_text=True)
    assert malformed.status_code == 400
    assert "date_from=&#39;2026-02-31&#39; is not a date" in malformed.get_data(as_text=True)
    assert (
        session.scalars(select(AuditEvent).where(AuditEvent.action == "replies_exported")).all()
        == []
    )


def test_export_page_offers_the_last_thirty_days(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    make_alert(session)
    staff, _ = _admin(app, session)

    html = staff.page("/staff/export")

    assert 'name="date_from" type="date" value="2026-01-31"' in html
    assert 'name="date_to" type="date" value="2026-03-02"' in html
