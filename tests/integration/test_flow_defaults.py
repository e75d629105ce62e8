"""The default flows: installed by `flask surveys install-flows` once, edits kept; the
end-of-assignment flow is due ten days before the end date."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.models import Survey
from outreach.schedule import due_dates
from surveys.cli import surveys_cli


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
