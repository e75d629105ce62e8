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


def _wide_drain() -> Drain:
    drain = Drain(
        "test:wide",
        INBOUND,
        "tests.integration.test_drain.nothing",
        linger=0.0,
        quiet=0.05,
        poll=0.001,
        readers=3,
    )
    Drain.all.remove(drain)
    return drain


def test_drain_reader_with_a_full_batch_wakes_the_other_readers(
    app,  # type: ignore[no-untyped-def]
    redis_conn: redis.Redis,
) -> None:
    drain = _wide_drain()
    assert drain.nudge() is True
    batches = [10, 4]  # a full batch of 10 (more are waiting), then the rest

    def read_batch() -> int:
        return batches.pop(0) if batches else 0

    assert drain.run(read_batch, batch=10) == 14

    queued = Queue(INBOUND, connection=queues.connection).jobs
    assert sorted(job.args for job in queued) == [(), (1,), (2,)]  # the first, then two more
    assert redis_conn.exists("test:wide:1") and redis_conn.exists("test:wide:2")


def test_drain_reader_that_never_fills_a_batch_wakes_nobody(
    app,  # type: ignore[no-untyped-def]
    redis_conn: redis.Redis,
) -> None:
    drain = _wide_drain()
    drain.nudge()
    batches = [9]

    drain.run(lambda: batches.pop(0) if batches else 0, batch=10)

    assert Queue(INBOUND, connection=queues.connection).count == 1


def test_drain_repair_clears_the_flag_of_a_helper_reader_that_died(
    app,  # type: ignore[no-untyped-def]
    redis_conn: redis.Redis,
) -> None:
    drain = _wide_drain()
    # A helper reader that renewed its lease last more than two renewals ago: killed.
    redis_conn.set("test:wide:1", "dead-job", px=int((drain.lease - 3 * drain.renew_every) * 1000))
    redis_conn.set("test:wide:2", "live-job", px=int(drain.lease * 1000) - 50)

    drain.repair()

    assert not redis_conn.exists("test:wide:1")
    assert redis_conn.get("test:wide:2") == b"live-job"
