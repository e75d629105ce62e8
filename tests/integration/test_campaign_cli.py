"""`flask surveys campaign`, run through Flask's CLI runner against the test database."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.models import Campaign, Invitation, Survey
from outreach.schedule import plan_invitations
from tests.conftest import FrozenClock
from tests.factories import make_contractor

# The clock starts Monday 2026-03-02; a campaign a week later.
SEND_ON = "2026-03-09"


def _seed(session: Session, *, active: bool = True) -> dict[str, int]:
    session.add(
        Survey(
            key="pulse",
            name="Pulse",
            question="How is it going?",
            sms_template="Hi {first_name}, how is {client}? Reply 1-{scale_max}.",
            email_subject="How is {client}?",
            email_template="Hi {first_name}",
            onboarding_days=[3],  # long past for everyone: only the campaign is due
            pulse_every_days=None,
            active=active,
        )
    )
    ids = {
        # Day 35 on 2026-03-09: in the band.
        "in": make_contractor(
            session, client="Acme", account_manager="Dana", start_date=date(2026, 2, 2)
        ).id,
        # Day 10: too new.
        "new": make_contractor(
            session, client="Acme", account_manager="Dana", start_date=date(2026, 2, 27)
        ).id,
        "other_client": make_contractor(
            session, client="Globex", account_manager="Dana", start_date=date(2026, 2, 2)
        ).id,
        "other_manager": make_contractor(
            session, client="Acme", account_manager="Sam", start_date=date(2026, 2, 2)
        ).id,
    }
    session.commit()
    return ids


def _campaign(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["surveys", "campaign", *args])
    return result.exit_code, result.output


def _campaigns(session: Session) -> list[Campaign]:
    session.expire_all()
    return list(session.scalars(select(Campaign)))


def test_campaign_cli_creates_the_campaign_and_counts_the_segment(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    ids = _seed(session)

    code, output = _campaign(
        app,
        "pulse",
        "--name",
        "Spring check-in",
        "--on",
        SEND_ON,
        "--client",
        "acme",
        "--account-manager",
        " Dana ",
        "--tenure-band",
        "30-90",
    )

    assert code == 0, output
    [campaign] = _campaigns(session)
    assert (campaign.name, campaign.send_on) == ("Spring check-in", date(2026, 3, 9))
    assert (campaign.client, campaign.account_manager) == ("acme", "Dana")
    assert (campaign.tenure_min_days, campaign.tenure_max_days) == (30, 90)
    assert f"Created campaign {campaign.id} 'Spring check-in': survey pulse on 2026-03-09" in output
    assert "client acme, account manager Dana, days 30-90 of the assignment" in output
    assert "1 active contractor(s) match" in output

    # On its day the tick plans it like any invitation, for the segment only.
    clock.set(clock.current.replace(day=9))
    plan_invitations(session)
    invited = session.scalars(select(Invitation.contractor_id)).all()
    assert invited == [ids["in"]]


@pytest.mark.parametrize(
    ("band", "low", "high", "matching"),
    [("45+", 45, None, 0), ("-30", None, 30, 1), ("0-", 0, None, 4)],
)
def test_campaign_cli_reads_open_tenure_bands(
    app: Flask,
    session: Session,
    clock: FrozenClock,
    band: str,
    low: int | None,
    high: int | None,
    matching: int,
) -> None:
    _seed(session)

    code, output = _campaign(app, "pulse", "--name", "N", "--on", SEND_ON, "--tenure-band", band)

    assert code == 0, output
    [campaign] = _campaigns(session)
    assert (campaign.tenure_min_days, campaign.tenure_max_days) == (low, high)
    assert f"{matching} active contractor(s) match" in output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["nope", "--name", "N", "--on", SEND_ON], "SURVEY_KEY"),
        (["pulse", "--name", "  ", "--on", SEND_ON], "--name"),
        (["pulse", "--name", "N", "--on", "2026-02-27"], "--on"),
        (["pulse", "--name", "N", "--on", "09/03/2026"], "--on"),
        (["pulse", "--name", "N", "--on", SEND_ON, "--tenure-band", "90-30"], "--tenure-band"),
        (["pulse", "--name", "N", "--on", SEND_ON, "--tenure-band", "a month"], "--tenure-band"),
        (["pulse", "--name", "N", "--on", SEND_ON, "--tenure-band", "30+90"], "--tenure-band"),
        (["pulse", "--on", SEND_ON], "--name"),
    ],
)
def test_campaign_cli_bad_input_names_the_option_and_creates_nothing(
    app: Flask, session: Session, clock: FrozenClock, args: list[str], option: str
) -> None:
    _seed(session)

    code, output = _campaign(app, *args)

    assert code == 2
    assert option in output
    assert _campaigns(session) == []


def test_campaign_cli_refuses_an_inactive_survey(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _seed(session, active=False)

    code, output = _campaign(app, "pulse", "--name", "N", "--on", SEND_ON)

    assert code == 2
    assert "SURVEY_KEY" in output and "not active" in output
    assert _campaigns(session) == []
