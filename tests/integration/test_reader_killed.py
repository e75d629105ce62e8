"""A reader (RQ work horse) SIGKILLed in the middle of a batch: the replies it left, and those
that keep arriving, are read within seconds, not when its drain flag would have expired."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rq import Queue, Worker
from sqlalchemy import func, select

from core.config import Settings
from core.db import db
from core.queue import DEFAULT
from outreach import inbox
from outreach.models import Direction, Message
from surveys.models import Response, Ticket
from tests.integration.conftest import Live
from tests.outreach_helpers import (
    inbound_stored_and_read,
    kill_worker,
    start_worker,
    stop_worker,
    worker_env,
)

pytestmark = pytest.mark.slow

WAITING = 300  # replies stored before the reader starts: enough that it dies mid-batch
LEASE = inbox.INBOUND_DRAIN.lease


def _wait_for(what: str, done: Callable[[], bool], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if done():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _store_replies(live: Live, count: int, first: int) -> None:
    settings: Settings = live.app.config["SETTINGS"]
    for n in range(first, first + count):
        inbox.receive_sms(
            db.engine,
            {
                "MessageSid": f"SM{n:032x}",
                "From": f"+1212555{n % 10000:04d}",
                "To": settings.twilio_from_number,
                "Body": f"{n % 5 + 1} the timecard portal is down again",
            },
            settings,
        )


def _kill_reader_mid_batch(live: Live, tmp_path: Path) -> tuple[float, subprocess.Popen[bytes]]:
    """Start two real workers, as a deployment runs them, on WAITING stored replies; SIGKILL
    the one reading once it has read some but not all. Returns the monotonic time of the kill
    and the worker left, already started: the delay measured after it is the dead reader's
    lease, not how long a new process takes to load."""
    _store_replies(live, WAITING, first=0)
    env = worker_env(live.app.config["SETTINGS"])
    workers = [start_worker(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    try:
        _wait_for(
            "both workers to be ready",
            lambda: len(Worker.all(connection=live.redis)) == len(workers),
            120,
        )
        assert inbox.nudge_processing() is True
        _wait_for(
            "the reader to be part-way through", lambda: inbound_stored_and_read()[1] >= 5, 120
        )
        # Two readers may share the backlog, each under a flag of its own; the one killed is
        # the first reader, whose flag every new reply's nudge looks at.
        holder = (live.redis.get(inbox.INBOUND_DRAIN.flag) or b"").decode()
        reading = {
            w.pid for w in Worker.all(connection=live.redis) if w.get_current_job_id() == holder
        }
        [doomed] = [w for w in workers if w.pid in reading]
        kill_worker(doomed)
    except BaseException:
        for worker in workers:
            stop_worker(worker)
        raise
    killed_at = time.monotonic()
    [survivor] = [w for w in workers if w is not doomed]
    total, read = inbound_stored_and_read()
    assert read < total, "the reader finished before it could be killed"
    assert live.redis.exists(inbox.INBOUND_DRAIN.flag), "the dead reader left no flag"
    return killed_at, survivor


def test_reader_killed_mid_batch_replies_that_keep_arriving_are_read_within_the_lease(
    live: Live, tmp_path: Path
) -> None:
    killed_at, survivor = _kill_reader_mid_batch(live, tmp_path)
    try:
        # Contractors keep texting, as they did when 531 replies waited ten minutes.
        sent, last_sent = 0, 0.0

        def all_read() -> bool:
            nonlocal sent, last_sent
            if time.monotonic() - last_sent > 0.5:
                assert live.sandbox.reply(f"+1646555{sent:04d}", "3 ok I guess") == 200
                sent, last_sent = sent + 1, time.monotonic()
            total, read = inbound_stored_and_read()
            return read == total == WAITING + sent

        _wait_for("every reply to be read", all_read, 60)
        delay = time.monotonic() - killed_at
    finally:
        stop_worker(survivor)
    print(f"replies delayed by a killed reader, with replies arriving: {delay:.1f} s")
    assert delay < LEASE + 10, delay


def test_reader_killed_mid_batch_tick_has_every_reply_read_within_a_tick(
    live: Live, tmp_path: Path
) -> None:
    killed_at, survivor = _kill_reader_mid_batch(live, tmp_path)
    settings: Settings = live.app.config["SETTINGS"]
    try:
        # Nobody texts any more: only the tick can notice. It runs once, as soon as the dead
        # reader has missed two renewals of its lease (well inside any TICK_SECONDS).
        time.sleep(max(0.0, killed_at + 2.5 * inbox.INBOUND_DRAIN.renew_every - time.monotonic()))
        Queue(DEFAULT, connection=live.redis).enqueue("outreach.tick.tick")
        _wait_for("every reply to be read", lambda: inbound_stored_and_read()[1] == WAITING, 60)
        delay = time.monotonic() - killed_at
    finally:
        stop_worker(survivor)
    print(f"replies delayed by a killed reader, tick only: {delay:.1f} s")
    assert delay < settings.tick_seconds, delay


def test_reader_killed_mid_batch_loses_and_doubles_no_reply(live: Live, tmp_path: Path) -> None:
    _, survivor = _kill_reader_mid_batch(live, tmp_path)
    try:
        inbox.INBOUND_DRAIN.repair()
        _wait_for("every reply to be read", lambda: inbound_stored_and_read()[1] == WAITING, 60)
    finally:
        stop_worker(survivor)

    with db.session() as session:
        read = session.execute(
            select(Message.response_id, Message.process_attempts).where(
                Message.direction == Direction.INBOUND
            )
        ).all()
        responses = session.scalar(select(func.count()).select_from(Response))
        tickets = session.scalar(select(func.count()).select_from(Ticket))
    # Each of the WAITING senders texted once: one reply and one ticket each, none twice.
    assert len({response_id for response_id, _ in read if response_id is not None}) == WAITING
    assert responses == WAITING
    assert tickets == WAITING
    assert all(attempts == 0 for _, attempts in read)  # a crash is not the message's fault
