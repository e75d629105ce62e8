"""Readers that lease a batch, analyse it with no transaction open, then write it: each reply
read once, texts of one answer merged in order, a dead reader's lease lapsing, and the same
replies as analysing inside the write transaction."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

import surveys.answers
from core.db import db
from outreach.models import Message
from surveys import jobs, leases
from surveys.models import Response, Ticket
from tests.conftest import FrozenClock
from tests.reading_helpers import CONTRACTORS, TEXTS, answers_of, inbound_ids, race, seed_answers


def _race(readers: int, limit: int) -> list[int]:
    """``readers`` reader jobs, one a thread, until nothing waits; how many each read."""
    jobs_ = [jobs.Reader() for _ in range(readers)]
    read = [0] * readers

    def step(n: int) -> int:
        handled = jobs_[n].read_batch(limit)
        read[n] += handled
        return handled

    race(readers, step, idle_rounds=20)
    return read


def test_reading_leases_two_readers_racing_read_each_message_once_in_order(
    app: Flask, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    phones = seed_answers(app, clock)
    read_ids: list[int] = []
    lock = threading.Lock()
    real_read_batch = jobs.read_batch

    def recording(*args: Any, **kwargs: Any) -> list[int]:
        ids = real_read_batch(*args, **kwargs)
        with lock:
            read_ids.extend(ids)
        return ids

    monkeypatch.setattr(jobs, "read_batch", recording)

    first, second = _race(readers=2, limit=7)

    with db.session() as session:
        unread = session.scalar(select(func.count()).where(Message.processed_at.is_(None)))
        tickets = session.scalar(select(func.count()).select_from(Ticket))
        leased = session.scalar(select(func.count()).where(Message.leased_by.is_not(None)))
    answers = answers_of(phones)
    assert Counter(read_ids) == Counter(inbound_ids())  # each once, none missing
    assert unread == 0
    assert first and second, "one reader read everything: no race took place"
    assert answers == {phone: ["\n".join(TEXTS)] for phone in phones}
    assert tickets == CONTRACTORS
    assert leased == 0  # every lease given back with its batch


def test_reading_leases_dead_readers_batch_waits_for_its_lease_then_is_read_once(
    app: Flask, clock: FrozenClock
) -> None:
    seed_answers(app, clock)
    with db.session() as session:
        # Long enough that the survivor cannot outlast it, on a machine however busy.
        held = leases.lease(session, "dead reader", (), 10, for_=timedelta(minutes=10))
    assert held

    survivor = jobs.Reader()
    while survivor.read_batch(7):
        pass
    with db.session() as session:
        waiting = set(session.scalars(select(Message.id).where(Message.processed_at.is_(None))))
    assert waiting == set(held)  # the dead reader's lease is respected while it lasts

    with db.session() as session:  # the lease lapses
        session.execute(
            update(Message)
            .where(Message.id.in_(held))
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    while survivor.read_batch(7):
        pass
    # The dead reader comes back to write what it had analysed: it wins nothing.
    assert jobs.read_batch(len(held), first=held, holder="dead reader") == []

    with db.session() as session:
        unread = session.scalar(select(func.count()).where(Message.processed_at.is_(None)))
        responses = session.scalar(select(func.count()).select_from(Response))
    assert unread == 0
    assert responses == CONTRACTORS  # one reply per answer, none twice


def _replies(phones: list[str]) -> list[tuple[Any, ...]]:
    with db.session() as session:
        return [
            tuple(row)
            for phone in phones
            for row in session.execute(
                select(
                    Response.text,
                    Response.rating,
                    Response.negative,
                    Response.category,
                    Response.quit_intent,
                    Response.lang,
                    Response.flagged,
                )
                .join(Message, Message.response_id == Response.id)
                .where(Message.from_address == phone)
                .distinct()
            )
        ]


def test_reading_leases_analysis_ahead_gives_the_replies_analysis_inside_gives(
    app: Flask, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = seed_answers(app, clock, prefix="+1212555")
    while jobs.read_batch(7):  # the write transaction analyses every reply itself
        pass
    ahead = seed_answers(app, clock, prefix="+1646555")
    analysed_inside = 0
    real_analyze = surveys.answers.analyze

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal analysed_inside
        analysed_inside += 1
        return real_analyze(*args, **kwargs)

    monkeypatch.setattr(surveys.answers, "analyze", counting)
    reader = jobs.Reader()
    while reader.read_batch(7):
        pass

    assert _replies(ahead) == _replies(inside)
    assert analysed_inside == 0  # every reply, joined texts too, was analysed ahead
