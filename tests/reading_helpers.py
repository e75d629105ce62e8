"""A backlog of stored SMS answers, and readers racing over it: shared by the reading tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from core.config import Settings
from core.db import db
from outreach import inbox
from outreach.models import Direction, Message
from surveys.models import Response
from tests.conftest import FrozenClock
from tests.factories import make_contractor

CONTRACTORS = 30
# One answer sent in three texts a few seconds apart: read in order, they make one reply.
TEXTS = ("2", "my timecard was rejected again", "pay is late too")


def store_sms(settings: Settings, phone: str, body: str, sid: str) -> None:
    """Store a text as the webhook does."""
    inbox.receive_sms(
        db.engine,
        {"MessageSid": sid, "From": phone, "To": settings.twilio_from_number, "Body": body},
        settings,
    )


def seed_answers(app: Flask, clock: FrozenClock, prefix: str = "+1212555") -> list[str]:
    """CONTRACTORS contractors (phones ``prefix`` + 4 digits), each with an answer in TEXTS
    stored and waiting; returns their phones."""
    phones = [f"{prefix}{n:04d}" for n in range(CONTRACTORS)]
    with db.session() as session:
        for phone in phones:
            make_contractor(session, phone=phone)
    settings: Settings = app.config["SETTINGS"]
    for part, body in enumerate(TEXTS):
        for n, phone in enumerate(phones):
            store_sms(settings, phone, body, f"SM{prefix[-4:]}{part:02d}{n:026d}")
        clock.advance(seconds=20)
    return phones


def inbound_ids() -> set[int]:
    with db.session() as session:
        return set(
            session.scalars(select(Message.id).where(Message.direction == Direction.INBOUND))
        )


def answers_of(phones: list[str]) -> dict[str, list[str]]:
    """Each phone's replies, by their texts."""
    with db.session() as session:
        return {
            phone: list(
                session.scalars(
                    select(Response.text)
                    .join(Message, Message.response_id == Response.id)
                    .where(Message.from_address == phone)
                    .distinct()
                )
            )
            for phone in phones
        }


def race(readers: int, step: Callable[[int], int], idle_rounds: int) -> None:
    """``readers`` threads, started together, each calling ``step(its number)`` (one read,
    returning how many messages it handled) until ``idle_rounds`` reads in a row found none."""
    start = threading.Barrier(readers)
    errors: list[BaseException] = []

    def reader(n: int) -> None:
        try:
            start.wait()
            idle = 0
            while idle < idle_rounds:
                idle = 0 if step(n) else idle + 1
                # A breath between reads, as real readers have: on a loaded machine one thread
                # could otherwise read the whole backlog before the other is scheduled at all.
                time.sleep(0.005)
        except BaseException as exc:  # handed to the test below
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
