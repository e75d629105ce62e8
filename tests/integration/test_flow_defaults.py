"""The default flows: installed by `flask surveys install-flows` once, edits kept; the
end-of-assignment flow is due ten days before the end date; a flow's next step waits for the
state's quiet hours."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.delivery import send_staff_message
from outreach.models import Survey
from outreach.schedule import due_dates
from surveys.cli import surveys_cli
from tests.conftest import FrozenClock
from tests.factories import make_contractor, make_message
from tests.fakes import FakeChannel


def test_install_flows_adds_the_defaults_once_and_keeps_an_edited_one(
    app: Flask, session: Session
) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(surveys_cli, ["install-flows"])
    assert first.exit_code == 0, first.output
    assert "first-week, nps-30, end-of-assignment" in first.output
    nps = session.scalars(select(Survey).where(Survey.key == "nps-30")).one()
    nps.name = "Our NPS"
    session.commit()

    again = runner.invoke(surveys_cli, ["install-flows"])

    assert "none (all there)" in again.output
    session.expire_all()
    assert session.scalars(select(Survey.name).where(Survey.key == "nps-30")).one() == "Our NPS"
    assert len(session.scalars(select(Survey)).all()) == 3


def test_end_of_assignment_flow_is_due_ten_days_before_the_end(
    app: Flask, session: Session
) -> None:
    app.test_cli_runner().invoke(surveys_cli, ["install-flows"])
    survey = session.scalars(select(Survey).where(Survey.key == "end-of-assignment")).one()

    due = list(due_dates(survey, date(2026, 1, 5), date(2026, 6, 30), date(2026, 12, 31)))

    assert due == [date(2026, 6, 20)]


def test_flow_step_text_waits_for_the_states_quiet_hours_when_a_staff_message_goes(
    session: Session, clock: FrozenClock
) -> None:
    # 09:30 in Louisville: inside 08:00-20:00, before Kentucky's 10:00.
    clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("America/New_York")))
    contractor = make_contractor(session, timezone="America/New_York", state="KY")
    step, staff = (
        make_message(
            session,
            direction="outbound",
            provider_id=None,
            contractor_id=contractor.id,
            to_address=contractor.phone,
            status="scheduled",
            payload=payload,
        )
        for payload in ({"conversation_id": 1, "step": "what_happened"}, {"staff_user_id": 1})
    )
    session.commit()
    channels = {"sms": FakeChannel("sms"), "email": FakeChannel("email")}

    assert send_staff_message(session, step.id, channels, sender="+15005550006") == "scheduled"
    assert send_staff_message(session, staff.id, channels, sender="+15005550006") != "scheduled"

    assert [m.message_id for m in channels["sms"].sent] == [staff.id]
