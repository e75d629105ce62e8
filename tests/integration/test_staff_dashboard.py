"""The dashboard: response rate, weekly average rating by client and account manager, open
work by age; and no figure from fewer than five respondents."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from outreach.models import Invitation
from staff import dashboard
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
from tests.staff_helpers import signed_in

MONDAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # the clock fixture's start


def _replies(session: Session, client: str, manager: str, ratings: list[int], at: datetime) -> None:
    survey = make_survey(session, key=f"s-{client}-{manager}-{at:%j}")
    for n, rating in enumerate(ratings):
        contractor = make_contractor(session, client=client, account_manager=manager)
        invitation = Invitation(
            survey_id=survey.id,
            contractor_id=contractor.id,
            due_on=at.date(),
            channel="sms",
            reply_token=f"t{contractor.id}",
            status="answered",
            sent_at=at - timedelta(hours=1),
        )
        session.add(invitation)
        make_response(
            session,
            contractor_id=contractor.id,
            rating=rating,
            created_at=at + timedelta(minutes=n),
        )


def test_dashboard_hides_groups_with_fewer_than_five_respondents(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    _replies(session, "Globex", "Dana", [4, 4, 5, 3, 4], MONDAY)  # five people: shown
    _replies(session, "Initech", "Sam", [1, 1, 2, 1], MONDAY)  # four people: hidden
    user = make_staff_user(session, role="support")
    session.commit()

    html = signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD).page("/staff/dashboard")

    globex = re.search(r"<th scope=\"row\" data-label=\"Client\">Globex</th>.*?</tr>", html, re.S)
    initech = re.search(r"<th scope=\"row\" data-label=\"Client\">Initech</th>.*?</tr>", html, re.S)
    assert globex and initech
    assert "4.0" in globex.group(0) and "100%" in globex.group(0) and ">5<" in globex.group(0)
    assert "1.2" not in initech.group(0) and "1.3" not in initech.group(0)
    assert initech.group(0).count("hidden: under 5") == 2
    assert "fewer than 5" in initech.group(0)
    assert "Initech (hidden: fewer than 5)" in html  # in the chart's legend, with no line
    assert "Initech, week of" not in html
    assert "Globex, week of Mar 2: 4.0" in html


def test_dashboard_weekly_figures_hide_a_thin_week_and_show_a_full_one(
    session: Session, clock: FrozenClock
) -> None:
    _replies(session, "Globex", "Dana", [5, 5, 5, 5, 5], MONDAY - timedelta(weeks=1))
    _replies(session, "Globex", "Dana", [2, 2, 2], MONDAY)
    session.commit()

    board = dashboard.build(session, today=date(2026, 3, 2), weeks=3)

    [globex] = board.by_client
    assert [f.value for f in globex.weekly] == [None, 5.0, None]
    assert [f.hidden for f in globex.weekly] == [False, False, True]
    assert globex.average.value == (5 * 5 + 3 * 2) / 8  # eight people over the period
    assert board.overall.response_rate.value == 1.0


def test_dashboard_response_rate_counts_sent_invitations_not_answers(
    session: Session, clock: FrozenClock
) -> None:
    _replies(session, "Globex", "Dana", [4, 4, 4, 4, 4], MONDAY)
    survey = make_survey(session, key="unanswered")
    for _ in range(5):
        contractor = make_contractor(session, client="Globex", account_manager="Dana")
        session.add(
            Invitation(
                survey_id=survey.id,
                contractor_id=contractor.id,
                due_on=MONDAY.date(),
                channel="sms",
                reply_token=f"u{contractor.id}",
                status="delivered",
                sent_at=MONDAY - timedelta(hours=2),
            )
        )
    session.commit()

    board = dashboard.build(session, today=MONDAY.date())

    assert board.by_client[0].response_rate.value == 0.5
    assert board.by_manager[0].response_rate.value == 0.5


def test_dashboard_counts_open_work_by_age(session: Session, clock: FrozenClock) -> None:
    make_ticket(session, created_at=MONDAY - timedelta(hours=2))
    make_ticket(session, created_at=MONDAY - timedelta(days=10))
    make_ticket(session, created_at=MONDAY - timedelta(days=2), team="care")
    make_ticket(session, created_at=MONDAY - timedelta(days=30), status="resolved")
    make_alert(session, created_at=MONDAY - timedelta(days=5))
    session.commit()

    labels, rows = dashboard.open_work_by_age(session)

    assert labels == ["Under 1 day", "1 to 3 days", "3 to 7 days", "Over 7 days"]
    assert {r.label: r.counts for r in rows} == {
        "Support tickets": [1, 0, 0, 1],
        "Tickets handed to Care": [0, 1, 0, 0],
        "Care alerts": [0, 0, 1, 0],
    }
