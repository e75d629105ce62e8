"""Survey flows over the real loop: tick -> RQ -> twilio SDK -> sandbox -> signed webhook ->
reader -> the next step queued -> dispatcher -> sandbox, and so on to the end."""

from __future__ import annotations

from datetime import date

from rq import Queue
from sqlalchemy import select

from core.db import db
from outreach import flow_defaults
from outreach.models import Contractor, Message
from surveys.flow_models import Conversation, ConversationStatus, Task
from surveys.models import Response
from tests.conftest import FrozenClock
from tests.integration.conftest import Live

PHONE = "+12125550147"


def _seed(key: str, *, language: str = "en", end: date | None = None) -> None:
    # Day 3 of the assignment is Monday 2026-03-02; the clock says 10:00 in New York.
    with db.session() as session:
        overrides = {} if key == "end-of-assignment" else {"onboarding_days": [3]}
        session.add(flow_defaults.survey_for(key, **overrides))
        session.add(
            Contractor(
                external_id="C-1",
                name="Rosa Diaz",
                phone=PHONE,
                email="rosa@example.com",
                timezone="America/New_York",
                channel="sms",
                start_date=date(2026, 2, 27),
                end_date=end,
                client="Acme",
                account_manager="Dana",
                language=language,
            )
        )


def _tick(live: Live) -> None:
    Queue("default", connection=live.redis).enqueue("outreach.tick.tick")
    live.work()


def _reply(live: Live, clock: FrozenClock, body: str) -> None:
    # Apart by more than the reader's grouping window: each reply stands on its own.
    clock.advance(minutes=10)
    assert live.sandbox.reply(PHONE, body) == 200
    live.work()


def _texts(live: Live) -> list[str]:
    return [m["body"] for m in live.sandbox.sms()]


def _conversation() -> Conversation:
    with db.session() as session:
        conversation = session.scalars(select(Conversation)).one()
        session.expunge(conversation)
        return conversation


def test_flow_nps_detractor_is_asked_what_happened_and_the_answer_joins_the_response(
    live: Live, clock: FrozenClock
) -> None:
    _seed("nps-30")
    _tick(live)
    _reply(live, clock, "4")
    assert _texts(live)[-1] == "Sorry to hear that. What happened?"

    _reply(live, clock, "my supervisor yells at us every single day")

    assert _texts(live)[-1] == "Thank you for telling us. Someone from our team will follow up."
    with db.session() as session:
        [response] = session.scalars(select(Response)).all()
        assert response.rating == 4 and response.scale_max == 10
        assert response.text == "4\nmy supervisor yells at us every single day"
        steps = [(a["step"], a["text"]) for a in response.flags["flow"]]
        assert steps == [
            ("score", "4"),
            ("what_happened", "my supervisor yells at us every single day"),
        ]
        [*_, last_in] = session.scalars(
            select(Message).where(Message.direction == "inbound").order_by(Message.id)
        )
        assert last_in.response_id == response.id
    conversation = _conversation()
    assert conversation.status == ConversationStatus.CLOSED
    assert conversation.ending == "end:sorry"
    assert conversation.asked == ["score", "what_happened"]


def test_flow_nps_promoter_referral_reply_creates_a_recruiting_task(
    live: Live, clock: FrozenClock
) -> None:
    _seed("nps-30")
    _tick(live)
    _reply(live, clock, "10!")
    assert _texts(live)[-1].startswith("Glad to hear it! Know someone")

    _reply(live, clock, "Sure, my cousin Maria Lopez 212-555-0199")

    assert _texts(live)[-1] == "Thank you, Rosa!"
    with db.session() as session:
        [task] = session.scalars(select(Task)).all()
        assert (task.kind, task.team, task.status) == ("referral", "recruiting", "open")
        assert task.details["phone"] == "+12125550199"
        assert task.details["name"] == "Maria Lopez"
        assert task.contractor.name == "Rosa Diaz"


def test_flow_step_without_an_answer_times_out_and_closes_with_what_it_has(
    live: Live, clock: FrozenClock
) -> None:
    _seed("nps-30")
    _tick(live)
    _reply(live, clock, "3")
    assert len(_texts(live)) == 2

    clock.advance(hours=23)
    _tick(live)
    assert _conversation().status == ConversationStatus.OPEN
    clock.advance(hours=2)
    _tick(live)

    conversation = _conversation()
    assert conversation.status == ConversationStatus.TIMED_OUT
    assert conversation.open_for is None and conversation.closed_at is not None
    assert len(_texts(live)) == 2  # no reminder for a later step, no closing text
    with db.session() as session:
        assert session.scalars(select(Response)).one().rating == 3


def test_flow_off_script_reply_is_kept_and_the_step_asked_again_once(
    live: Live, clock: FrozenClock
) -> None:
    _seed("nps-30")
    _tick(live)
    first_ask = _texts(live)[0]

    _reply(live, clock, "who is this?")
    assert _texts(live)[-1] == "Sorry, we did not catch that. " + first_ask
    _reply(live, clock, "hmm what do you mean")

    texts = _texts(live)
    assert sum(t.startswith("Sorry, we did not catch that.") for t in texts) == 1
    assert texts[-1] == "Thank you, Rosa!"
    with db.session() as session:
        response = session.scalars(select(Response)).one()
        assert response.text == "who is this?\nhmm what do you mean"
        assert [a["fits"] for a in response.flags["flow"]] == [False, False]
        assert response.rating is None
    assert _conversation().status == ConversationStatus.CLOSED


def test_flow_off_script_reply_then_a_score_goes_on_from_the_score(
    live: Live, clock: FrozenClock
) -> None:
    _seed("nps-30")
    _tick(live)
    _reply(live, clock, "who is this?")
    _reply(live, clock, "ok 2")

    assert _texts(live)[-1] == "Sorry to hear that. What happened?"
    with db.session() as session:
        response = session.scalars(select(Response)).one()
        assert response.rating == 2
        assert response.text == "who is this?\nok 2"


def test_flow_spanish_contractor_goes_through_the_whole_flow_in_spanish(
    live: Live, clock: FrozenClock
) -> None:
    _seed("nps-30", language="es")
    _tick(live)
    _reply(live, clock, "3")
    _reply(live, clock, "mi supervisor me grita todos los dias")

    assert _texts(live) == [
        "Hola Rosa, que tan probable es que nos recomiendes a un amigo? Responde del 0 al 10 "
        "(10 = muy probable). Responde BAJA o STOP para salir.",
        "Lamentamos oir eso. Que paso?",
        "Gracias por contarnos. Alguien de nuestro equipo te contactara.",
    ]
    assert _conversation().answers[1]["text"] == "mi supervisor me grita todos los dias"


def test_flow_end_of_assignment_yes_creates_a_care_redeployment_task(
    live: Live, clock: FrozenClock
) -> None:
    _seed("end-of-assignment", end=date(2026, 3, 12))  # ten days after today
    _tick(live)
    assert _texts(live) == [
        "Hi Rosa, your assignment at Acme ends soon. Want us to line up another one? Reply "
        "YES or NO. Reply STOP to opt out."
    ]

    _reply(live, clock, "Yes please!")

    assert _texts(live)[-1] == "Great! Your recruiter will be in touch about your next assignment."
    with db.session() as session:
        [task] = session.scalars(select(Task)).all()
        assert (task.kind, task.team) == ("redeployment", "care")
        assert task.details["text"] == "Yes please!"
