"""Readers that share a backlog: batches claimed atomically, read in one transaction each."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import func, select

from core.config import Settings
from core.db import db
from outreach.models import Message
from surveys import claims, jobs, replies
from surveys.models import Alert, Ticket
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.reading_helpers import (
    CONTRACTORS,
    TEXTS,
    answers_of,
    inbound_ids,
    race,
    seed_answers,
    store_sms,
)


def _race(readers: int, limit: int) -> list[list[int]]:
    """``readers`` threads read batches of ``limit`` until nothing waits; what each read."""
    read: list[list[int]] = [[] for _ in range(readers)]

    def step(n: int) -> int:
        ids = jobs.read_batch(limit)
        read[n] += ids
        return len(ids)

    race(readers, step, idle_rounds=3)
    return read


def test_reading_batches_two_readers_racing_read_each_message_exactly_once(
    app: Flask, clock: FrozenClock
) -> None:
    seed_answers(app, clock)

    first, second = _race(readers=2, limit=7)

    stored = inbound_ids()
    with db.session() as session:
        unread = session.scalar(select(func.count()).where(Message.processed_at.is_(None)))
    assert len(stored) == CONTRACTORS * len(TEXTS)
    assert not set(first) & set(second)
    assert Counter(first + second) == Counter(stored)  # each once, none missing
    assert unread == 0
    assert first and second, "one reader read everything: no race took place"


def test_reading_batches_texts_of_one_answer_read_by_racing_readers_merge_in_order(
    app: Flask, clock: FrozenClock
) -> None:
    phones = seed_answers(app, clock)

    _race(readers=2, limit=5)

    answers = answers_of(phones)
    with db.session() as session:
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
        store_sms(settings, f"+1646555{n:04d}", "4 all good this week", f"SMbulk{n:030d}")
    store_sms(settings, "+12125550199", "a coworker threatened to hurt me today", "SM" + "9" * 32)

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


def test_reading_batches_racing_readers_raise_one_client_hotspot_counting_every_reply(
    app: Flask, clock: FrozenClock
) -> None:
    # Readers look at a client's hot-spot at the end of their batch, under the client's lock:
    # one alert however the batches interleave, and the last look counts every reader's replies.
    settings: Settings = app.config["SETTINGS"]
    phones = [f"+1212556{n:04d}" for n in range(12)]
    with db.session() as session:
        for phone in phones:
            make_contractor(session, phone=phone, client="Globex")
    for n, phone in enumerate(phones):
        store_sms(settings, phone, "2 the client manager keeps yelling at me", f"SMhot{n:029d}")

    read: list[list[int]] = [[], []]

    def step(n: int) -> int:
        ids = jobs.read_batch(2)
        read[n] += ids
        return len(ids)

    race(2, step, idle_rounds=3)

    with db.session() as session:
        [alert] = session.scalars(select(Alert).where(Alert.kind == "client_hotspot")).all()
        linked = sorted(r.contractor_id for r in alert.responses)
        assert (alert.client, alert.evidence["contractors"]) == ("Globex", len(phones))
    assert len(linked) == len(set(linked)) == len(phones)
    assert read[0] and read[1], "one reader read everything: no race took place"
