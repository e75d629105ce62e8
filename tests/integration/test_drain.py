from __future__ import annotations

import redis
from rq import Queue

from core.queue import INBOUND, Drain, queues


def _drain() -> Drain:
    drain = Drain(
        "test:drain",
        INBOUND,
        "tests.integration.test_drain.nothing",
        linger=0.0,
        quiet=0.05,
        poll=0.001,
    )
    Drain.all.remove(drain)  # private to this test; the fixtures need not know it
    return drain


def nothing() -> None:  # the job the drain enqueues; never run here
    pass


def test_drain_nudged_by_many_writers_enqueues_one_reader(app, redis_conn: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    drain = _drain()
    assert drain.nudge() is True
    drain.forget()  # as another web process would, without this process's memory
    assert drain.nudge() is False
    assert Queue(INBOUND, connection=queues.connection).count == 1


def test_drain_writer_that_saw_the_reader_awake_skips_redis(app, redis_conn: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    drain = _drain()
    drain.nudge()
    redis_conn.delete("test:drain")  # were the writer to ask again, it would enqueue
    assert drain.nudge() is False
    assert Queue(INBOUND, connection=queues.connection).count == 1


def test_drain_reader_reads_what_a_skipping_writer_stored_after_the_flag_went(
    app,
    redis_conn: redis.Redis,  # type: ignore[no-untyped-def]
) -> None:
    drain = _drain()
    drain.nudge()
    waiting = ["first"]
    late_written = False

    def read_batch() -> int:
        nonlocal late_written
        if not redis_conn.exists("test:drain") and not late_written:
            # A writer saw the flag a moment ago, stored a row and skipped its nudge.
            waiting.append("late")
            late_written = True
        handled = len(waiting)
        waiting.clear()
        return handled

    assert drain.run(read_batch) == 2
    assert not redis_conn.exists("test:drain")
