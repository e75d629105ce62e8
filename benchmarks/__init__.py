"""Benchmarks, run as scripts (`make bench`); what they share."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text

from core import migrate


def reset_database(url: str) -> None:
    """An empty, migrated database at ``url``: a PostgreSQL one has its schema dropped."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)


def start_workers(
    logs: list[Path], env: dict[str, str], root: Path
) -> list[subprocess.Popen[bytes]]:
    """One real `flask --app wsgi worker` process per log file, run from ``root``."""
    flask = Path(sys.executable).with_name("flask")
    procs = []
    for log in logs:
        with log.open("ab") as out:
            procs.append(
                subprocess.Popen(
                    [str(flask), "--app", "wsgi", "worker"],
                    cwd=root,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    return procs


def stop_workers(procs: Iterable[subprocess.Popen[bytes]]) -> None:
    """Stop the worker processes a benchmark started, once its figures are taken."""
    procs = list(procs)
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            # RQ's pub/sub thread now and then keeps a stopping worker waiting.
            proc.kill()
            proc.wait()


@contextmanager
def counting_sql(engine: Engine) -> Iterator[dict[str, int]]:
    """SQL statements and commits on ``engine`` while the block runs, counted by SQLAlchemy's
    events, in the dict it yields."""
    counted = {"statements": 0, "commits": 0}

    def statement(*_args: object) -> None:
        counted["statements"] += 1

    def commit(*_args: object) -> None:
        counted["commits"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
