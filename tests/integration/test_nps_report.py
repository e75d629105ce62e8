"""The NPS report: per client, account manager and month, with the anonymity threshold; the
response rate per step; detractors contacted within 24 hours."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from staff import nps
from tests.factories import DEFAULT_STAFF_PASSWORD, make_message, make_staff_user
from tests.flow_helpers import T0, nps_answer, nps_survey
from tests.staff_helpers import signed_in


def _seed(session: Session) -> None:
    survey = nps_survey(session)
    care = make_staff_user(session, role="care", email="care@example.com")
    make_staff_user(session, role="admin", email="admin@example.com")
    acme = [10, 9, 2, 4, 0]
    for i, score in enumerate(acme):
        follow_up = "pay was late" if score <= 6 and i != 4 else None
        response = nps_answer(
            session, survey, score, client="Acme", account_manager="Dana", follow_up=follow_up
        )
        if score in (2, 4):  # Care wrote to one within the day, to the other too late
            hours = 2 if score == 2 else 30
            make_message(
                session,
                direction="outbound",
                contractor_id=response.contractor_id,
                payload={"staff_user_id": care.id},
                status="delivered",
                created_at=T0 + timedelta(hours=hours),
            )
    for score in (3, 5):
        response = nps_answer(
            session,
            survey,
            score,
            client="Tiny <b>Co</b>",
            account_manager="Dana",
            at=T0 - timedelta(days=40),
            follow_up="no one showed me around",
        )
        make_message(
            session,
            direction="outbound",
            contractor_id=response.contractor_id,
            payload={"staff_user_id": care.id},
            status="delivered",
            created_at=response.created_at + timedelta(hours=1),
        )
    session.commit()


def test_nps_report_counts_groups_and_withholds_those_under_the_threshold(
    session: Session,
) -> None:
    _seed(session)

    report = nps.build(session)

    overall = report.overall
    assert (overall.promoters, overall.passives, overall.detractors) == (2, 0, 5)
    assert overall.score == round(100 * (2 - 5) / 7)
    [acme, tiny] = report.by_client
    assert (acme.name, acme.promoters, acme.detractors, acme.score) == ("Acme", 2, 3, -20)
    assert tiny.hidden and tiny.score is None
    [manager] = report.by_manager
    assert (manager.name, manager.respondents, manager.hidden) == ("Dana", 7, False)
    months = {row.name: row for row in report.by_month}
    assert months["2026-03"].score == -20 and months["2026-01"].hidden
    assert (report.detractors, report.contacted, report.contacted_share) == (5, 3, 0.6)


def test_nps_report_gives_the_response_rate_of_each_step(session: Session) -> None:
    _seed(session)

    rates = {rate.step: rate for rate in nps.build(session).steps}

    assert (rates["score"].asked, rates["score"].answered, rates["score"].rate) == (7, 7, 1.0)
    assert (rates["what_happened"].asked, rates["what_happened"].answered) == (5, 4)
    assert rates["what_happened"].rate == 0.8
    assert rates["referral"].hidden and rates["referral"].rate is None


def test_nps_page_shows_the_figures_with_small_groups_hidden_and_names_escaped(
    app: Flask, session: Session
) -> None:
    _seed(session)
    staff = signed_in(app.test_client(), "admin@example.com", DEFAULT_STAFF_PASSWORD)

    html = staff.page("/staff/nps")

    assert "Tiny &lt;b&gt;Co&lt;/b&gt; (hidden: fewer than 5)" in html
    assert "<b>Co</b>" not in html
    assert "60% (3 of 5) had a message from staff within 24 hours." in html
    assert '<td data-label="NPS">-20</td>' in html
