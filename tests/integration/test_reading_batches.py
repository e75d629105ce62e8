"""Readers that share a backlog: batches claimed atomically, read in one transaction each."""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask
from sqlalchemy import func, select

from core.config import Settings
from core.db import db
from outreach import inbox
from outreach.models import Direction, Message
from surveys import claims, jobs, replies
from surveys.models import Response, Ticket
from tests.conftest import FrozenClock
from tests.factories import make_contractor

CONTRACTORS = 30
# One answer sent in three texts a few seconds apart: read in order, they make one reply.
TEXTS = ("2", "my timecard was rejected again", "pay is late too")


def _store(settings: Settings, phone: str, body: str, sid: str) -> None:
    inbox.receive_sms(
        db.engine,
        {"MessageSid": sid, "From": phone, "To": settings.twilio_from_number, "Body": body},
        settings,
    )


def _seed_answers(app: Flask, clock: FrozenClock) -> list[str]:
    phones = [f"+1212555{n:04d}" for n in range(CONTRACTORS)]
    with db.session() as session:
        for phone in phones:
            make_contractor(session, phone=phone)
    settings: Settings = app.config["SETTINGS"]
    for part, body in enumerate(TEXTS):
        for n, phone in enumerate(phones):
            _store(settings, phone, body, f"SM{part:02d}{n:030d}")
        clock.advance(seconds=20)
    return phones


def _race(readers: int, limit: int) -> list[list[int]]:
    """``readers`` threads read batches of ``limit`` until nothing waits; what each read."""
    start = threading.Barrier(readers)
    read: list[list[int]] = [[] for _ in range(readers)]
    errors: list[BaseException] = []

    def reader(n: int) -> None:
        try:
            start.wait()
            idle = 0
            while idle < 3:
                ids = jobs.read_batch(limit)
                read[n] += ids
                idle = 0 if ids else idle + 1
        except BaseException as exc:  # handed to the test below
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return read


def test_reading_batches_two_readers_racing_read_each_message_exactly_once(
    app: Flask, clock: FrozenClock
) -> None:
    _seed_answers(app, clock)

    first, second = _race(readers=2, limit=7)

    with db.session() as session:
        stored = set(
            session.scalars(select(Message.id).where(Message.direction == Direction.INBOUND))
        )
        unread = session.scalar(select(func.count()).where(Message.processed_at.is_(None)))
    assert len(stored) == CONTRACTORS * len(TEXTS)
    assert not set(first) & set(second)
    assert Counter(first + second) == Counter(stored)  # each once, none missing
    assert unread == 0
    assert first and second, "one reader read everything: no race took place"


def test_reading_batches_texts_of_one_answer_read_by_racing_readers_merge_in_order(
    app: Flask, clock: FrozenClock
) -> None:
    phones = _seed_answers(app, clock)

    _race(readers=2, limit=5)

    with db.session() as session:
        answers = {
            phone: session.scalars(
                select(Response.text)
                .join(Message, Message.response_id == Response.id)
                .where(Message.from_address == phone)
                .distinct()
            ).all()
            for phone in phones
        }
        tickets = session.scalar(select(func.count()).select_from(Ticket))
    assert answers == {phone: ["\n".join(TEXTS)] for phone in phones}
    assert tickets == CONTRACTORS  # one per contractor, not one per text


def test_reading_batches_urgent_reply_is_read_before_an_older_backlog(
    app: Flask, clock: FrozenClock
) -> None:
    settings: Settings = app.config["SETTINGS"]
    with db.session() as session:
        make_contractor(session, phone="+12125550199")
    for n in range(replies.BATCH * 2):
        _store(settings, f"+1646555{n:04d}", "4 all good this week", f"SMbulk{n:030d}")
    _store(settings, "+12125550199", "a coworker threatened to hurt me today", "SM" + "9" * 32)

    with db.session() as session:
        urgent, screened = claims.urgent_waiting(session, after_id=0)
    with db.session() as session:
        read = replies.read_batch(session, limit=10, first=urgent)

    [urgent_id] = urgent
    assert urgent_id in read
    assert screened == urgent_id  # the newest, so the next look screens only what came after
    with db.session() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.priority == "urgent"
        waiting = session.scalar(select(func.count()).where(Message.processed_at.is_(None)))
    assert waiting == replies.BATCH * 2 - 9  # the other nine came from the backlog's head
