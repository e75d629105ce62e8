"""Care alerts over the real path: signed SMS webhook (or the tick) -> RQ worker -> Alert rows."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from flask import Flask
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import db
from outreach.models import Contractor, Invitation, Survey
from surveys.care import ALERT_COOLDOWN
from surveys.models import Alert, Response
from surveys.silence import raise_silence_alerts
from tests.conftest import FrozenClock
from tests.factories import make_contractor, make_response
from tests.integration.conftest import Live

PHONE = "+12125550147"
LONG_AGO = date(2025, 6, 2)  # well past the first 45 days
NEGATIVE = "this place is awful, nobody helps me"


def _contractor(phone: str = PHONE, *, start: date = LONG_AGO, client: str = "Acme Corp") -> int:
    with db.session() as session:
        return make_contractor(session, phone=phone, start_date=start, client=client).id


def _text(live: Live, clock: FrozenClock, body: str, phone: str = PHONE) -> None:
    assert live.sandbox.reply(phone, body) == 200
    live.work()
    clock.advance(hours=3)  # well apart: separate answers


def _alerts(kind: str | None = None) -> list[Alert]:
    with db.session() as session:
        query = select(Alert).order_by(Alert.id)
        if kind is not None:
            query = query.where(Alert.kind == kind)
        alerts = list(session.scalars(query))
        for alert in alerts:
            _ = alert.responses  # loaded while the session is open
        return alerts


def _texts(alert: Alert) -> list[str]:
    return [r.text for r in alert.responses]


def test_alerts_two_low_ratings_in_a_row_raise_a_streak(live: Live, clock: FrozenClock) -> None:
    _contractor()

    _text(live, clock, "2")
    assert _alerts() == []
    _text(live, clock, "1")

    [alert] = _alerts()
    assert (alert.kind, alert.severity, alert.status) == ("low_rating_streak", "high", "open")
    assert _texts(alert) == ["2", "1"]


def test_alerts_low_rating_after_a_good_one_is_no_streak(live: Live, clock: FrozenClock) -> None:
    _contractor()

    _text(live, clock, "2")
    _text(live, clock, "4")
    _text(live, clock, "2")

    assert _alerts("low_rating_streak") == []


def test_alerts_drop_from_own_baseline_raises_an_alert(live: Live, clock: FrozenClock) -> None:
    contractor_id = _contractor()
    with db.session() as session:
        for days in (30, 20, 10):
            make_response(
                session,
                contractor_id=contractor_id,
                text="5",
                rating=5,
                negative=False,
                category="none",
                created_at=clock.current - timedelta(days=days),
            )

    _text(live, clock, "3")  # two points under a steady 5: not low, but a fall

    [alert] = _alerts()
    assert alert.kind == "baseline_drop"
    assert _texts(alert) == ["3"]
    assert "usual 5.0" in alert.evidence["reasons"][0]


def test_alerts_small_dip_or_short_history_is_no_baseline_drop(
    live: Live, clock: FrozenClock
) -> None:
    contractor_id = _contractor()
    with db.session() as session:
        for days, rating in ((30, 5), (20, 4)):
            make_response(
                session,
                contractor_id=contractor_id,
                rating=rating,
                negative=False,
                category="none",
                created_at=clock.current - timedelta(days=days),
            )

    _text(live, clock, "3")  # only two earlier ratings: no baseline yet
    _text(live, clock, "3")  # 4, 5, 3 -> mean 4: one point down

    assert _alerts("baseline_drop") == []


def test_alerts_negative_reply_early_in_the_assignment_raises_early_tenure(
    live: Live, clock: FrozenClock
) -> None:
    _contractor(start=clock.current.date() - timedelta(days=10))
    veteran = "+12125550148"
    _contractor(veteran)

    _text(live, clock, NEGATIVE)
    _text(live, clock, NEGATIVE, phone=veteran)

    [alert] = _alerts()
    assert alert.kind == "early_tenure"
    assert "10 days into the assignment" in alert.evidence["reasons"][0]
    assert _texts(alert) == [NEGATIVE]


def test_alerts_quit_early_in_the_assignment_is_one_alert_with_both_reasons(
    live: Live, clock: FrozenClock
) -> None:
    _contractor(start=clock.current.date() - timedelta(days=10))

    _text(live, clock, "this job is awful, I'm quitting")

    [alert] = _alerts()
    assert (alert.kind, alert.severity) == ("quit_intent", "urgent")
    assert alert.evidence["reasons"] == [
        "said they may leave",
        "negative reply 10 days into the assignment",
    ]
    assert alert.evidence["tenure_days"] == 10
    assert _texts(alert) == ["this job is awful, I'm quitting"]


def test_alerts_quit_intent_is_urgent_and_one_alert_gathers_its_replies(
    live: Live, clock: FrozenClock
) -> None:
    _contractor()

    _text(live, clock, "I'm putting in my two weeks notice")
    _text(live, clock, "thinking about leaving, honestly")

    [alert] = _alerts()
    assert (alert.kind, alert.severity, alert.status) == ("quit_intent", "urgent", "open")
    assert _texts(alert) == [
        "I'm putting in my two weeks notice",
        "thinking about leaving, honestly",
    ]


def test_alerts_three_unhappy_contractors_at_one_client_raise_one_hotspot(
    live: Live, clock: FrozenClock
) -> None:
    phones = [f"+1212555017{n}" for n in range(4)]
    for phone in phones:
        _contractor(phone, client="Globex")
    _contractor("+12125550180", client="Initech")
    _contractor("+12125550181", client="Initech")
    with db.session() as session:
        # Unhappy, but three weeks ago: outside the 14 days.
        old = make_contractor(session, phone="+12125550182", client="Initech")
        make_response(
            session,
            contractor_id=old.id,
            created_at=clock.current - timedelta(days=21),
        )

    complaint = "2 the client manager keeps yelling at me"
    for phone in ["+12125550180", "+12125550181", *phones[:2]]:
        _text(live, clock, complaint, phone=phone)
    assert _alerts("client_hotspot") == []
    _text(live, clock, complaint, phone=phones[2])
    _text(live, clock, complaint, phone=phones[3])

    [alert] = _alerts("client_hotspot")
    assert (alert.contractor_id, alert.client, alert.severity) == (None, "Globex", "high")
    assert len(alert.responses) == 4
    assert alert.evidence["contractors"] == 4
    # One current figure, not one reason per count it passed through.
    assert alert.evidence["reasons"] == [
        "4 contractors at Globex replied negatively within 14 days"
    ]
    with db.session() as session:
        clients = {
            session.get_one(Contractor, r.contractor_id).client
            for r in session.get_one(Alert, alert.id).responses
            if r.contractor_id is not None
        }
    assert clients == {"Globex"}


def test_alerts_cooldown_holds_back_a_kind_staff_just_resolved(
    live: Live, clock: FrozenClock
) -> None:
    _contractor(start=clock.current.date() - timedelta(days=5))
    _text(live, clock, NEGATIVE)
    with db.session() as session:
        alert = session.scalars(select(Alert)).one()
        alert.status, alert.resolved_at = "resolved", clock.current

    _text(live, clock, NEGATIVE)
    assert len(_alerts("early_tenure")) == 1  # resolved just now: Care is not handed it back
    _text(live, clock, "I quit, done with this place")
    assert len(_alerts("quit_intent")) == 1  # urgent kinds are never held back

    clock.advance(days=ALERT_COOLDOWN.days + 1)
    _text(live, clock, NEGATIVE)
    resolved, reopened = _alerts("early_tenure")
    assert (resolved.status, reopened.status) == ("resolved", "open")


def _sent_invitation(
    session: Session, contractor_id: int, survey: Survey, sent_at: datetime
) -> int:
    invitation = Invitation(
        survey=survey,
        contractor_id=contractor_id,
        due_on=sent_at.date(),
        status="delivered",
        channel="sms",
        reply_token=secrets.token_hex(8),
        sent_at=sent_at,
        expires_at=sent_at + timedelta(days=2),
    )
    session.add(invitation)
    session.flush()
    return invitation.id


def _survey(session: Session) -> Survey:
    survey = Survey(
        key="pulse",
        name="Pulse",
        question="How is it going?",
        sms_template="Hi {first_name}, how is {client}? Reply 1-{scale_max}.",
        email_subject="How is {client}?",
        email_template="Hi {first_name}",
        onboarding_days=[],
    )
    session.add(survey)
    return survey


def test_alerts_two_unanswered_invitations_raise_silence_from_the_tick(
    live: Live, clock: FrozenClock
) -> None:
    quiet = _contractor()
    answered = _contractor("+12125550148")
    with db.session() as session:
        survey = _survey(session)
        ids = [
            _sent_invitation(session, quiet, survey, clock.current - timedelta(days=days))
            for days in (22, 8)
        ]
        for days in (22, 8):
            _sent_invitation(session, answered, survey, clock.current - timedelta(days=days))
        # One reply since the first invitation: not silent.
        make_response(
            session,
            contractor_id=answered,
            created_at=clock.current - timedelta(days=7),
            rating=4,
            negative=False,
            category="none",
        )

    for _ in range(2):  # every tick looks; one run of silence gets one alert
        Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
        live.work()

    [alert] = _alerts()
    assert (alert.kind, alert.contractor_id, alert.severity) == ("silence", quiet, "normal")
    assert alert.evidence["invitations"] == ids
    assert alert.responses == []


def test_alerts_silence_waits_for_the_answer_window_and_counts_once(
    app: Flask, clock: FrozenClock
) -> None:
    with db.session() as session:
        survey = _survey(session)
        contractor = make_contractor(session, start_date=LONG_AGO)
        _sent_invitation(session, contractor.id, survey, clock.current - timedelta(days=20))
        _sent_invitation(session, contractor.id, survey, clock.current - timedelta(days=3))
        assert raise_silence_alerts(session) == 0  # the latest may still be answered

    clock.advance(days=5)
    with db.session() as session:
        assert raise_silence_alerts(session) == 1
        assert raise_silence_alerts(session) == 0
        alert = session.scalars(select(Alert)).one()
        alert.status, alert.resolved_at = "resolved", clock.current

    clock.advance(days=ALERT_COOLDOWN.days + 1)
    with db.session() as session:
        assert raise_silence_alerts(session) == 0  # the same silence, already seen to
        assert session.scalars(select(Response)).all() == []
