"""SMS replies over the real path: signed webhook over HTTP -> RQ worker -> Response rows."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from core.db import db
from outreach.models import Invitation, Message, Survey
from staff.inbox import flagged_replies
from surveys.matching import ANSWER_WINDOW
from surveys.models import Response
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.integration.conftest import Live

PHONE = "+12125550147"


def _seed(sent_at: datetime | None, *, start: date = date(2025, 6, 2)) -> int:
    """A contractor with one survey invitation sent at ``sent_at`` (none when None)."""
    with db.session() as session:
        survey = Survey(
            key="pulse",
            name="Pulse",
            question="How is it going?",
            sms_template="Hi {first_name}, how is {client}? Reply 1-{scale_max}.",
            email_subject="How is {client}?",
            email_template="Hi {first_name}",
        )
        session.add(survey)
        contractor = make_contractor(session, phone=PHONE, start_date=start)
        if sent_at is None:
            return 0
        invitation = Invitation(
            survey=survey,
            contractor_id=contractor.id,
            due_on=sent_at.date(),
            status="sent",
            channel="sms",
            reply_token=secrets.token_hex(8),
            sent_at=sent_at,
            expires_at=sent_at + timedelta(days=2),
        )
        session.add(invitation)
        session.flush()
        return invitation.id


def _responses() -> list[Response]:
    with db.session() as session:
        return list(session.scalars(select(Response).order_by(Response.id)))


def test_replies_two_texts_minutes_apart_form_one_response(live: Live, clock: FrozenClock) -> None:
    invitation_id = _seed(clock.current - timedelta(hours=1))

    assert live.sandbox.reply(PHONE, "4") == 200
    live.work()
    clock.advance(minutes=3)
    assert live.sandbox.reply(PHONE, "timecard is late") == 200
    live.work()

    [response] = _responses()
    assert response.text == "4\ntimecard is late"
    assert response.rating == 4
    assert response.invitation_id == invitation_id
    with db.session() as session:
        messages = session.scalars(select(Message)).all()
        assert [m.response_id for m in messages] == [response.id, response.id]
        assert session.get_one(Invitation, invitation_id).status == "answered"


def test_replies_text_after_the_group_window_is_a_new_response(
    live: Live, clock: FrozenClock
) -> None:
    _seed(clock.current - timedelta(hours=1))

    live.sandbox.reply(PHONE, "4")
    live.work()
    clock.advance(minutes=4)
    live.sandbox.reply(PHONE, "team is nice")
    live.work()
    clock.advance(minutes=4)  # four minutes after the last text: still the same answer
    live.sandbox.reply(PHONE, "client is fair")
    live.work()
    clock.advance(minutes=6)
    live.sandbox.reply(PHONE, "the parking pass works now too")
    live.work()

    first, second = _responses()
    assert first.text == "4\nteam is nice\nclient is fair"
    assert second.text == "the parking pass works now too"


def test_replies_reply_after_the_answer_window_is_read_as_unsolicited(
    live: Live, clock: FrozenClock
) -> None:
    invitation_id = _seed(clock.current - ANSWER_WINDOW - timedelta(hours=1))

    assert live.sandbox.reply(PHONE, "2 sorry for the late answer, rough month") == 200
    live.work()

    [response] = _responses()
    assert response.invitation_id is None
    assert response.contractor_id is not None
    assert response.rating == 2  # read all the same
    assert response.flags["unsolicited"] is True
    assert response.flags["late_for_invitation"] == invitation_id
    with db.session() as session:
        assert session.get_one(Invitation, invitation_id).status == "sent"


def test_replies_reply_with_no_invitation_is_read_as_unsolicited(
    live: Live, clock: FrozenClock
) -> None:
    _seed(None)

    live.sandbox.reply(PHONE, "5 just wanted to say the new site is great")
    live.work()

    [response] = _responses()
    assert (response.invitation_id, response.rating) == (None, 5)
    assert response.flags["unsolicited"] is True
    assert "late_for_invitation" not in response.flags


def test_replies_unknown_number_is_kept_read_and_flagged(live: Live, clock: FrozenClock) -> None:
    _seed(clock.current - timedelta(hours=1))
    stranger = "+13125550199"

    assert live.sandbox.reply(stranger, "3 who is this? my timecard is wrong") == 200
    live.work()

    [response] = _responses()
    assert response.contractor_id is None
    assert response.flagged
    assert response.flags["unknown_sender"] is True
    assert response.flags["from"] == stranger
    assert response.rating == 3
    with db.session() as session:
        message = session.scalars(select(Message)).one()
        assert (message.from_address, message.response_id) == (stranger, response.id)
        # Staff see it among flagged replies, with the number it came from.
        [shown] = flagged_replies(session).items
        assert (shown.response.id, shown.from_address) == (response.id, stranger)
        assert (
            session.scalar(
                select(func.count()).select_from(Invitation).where(Invitation.status == "answered")
            )
            == 0
        )
