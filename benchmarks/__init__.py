"""Benchmarks, run as scripts (`make bench`); what they share."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, text

from core import migrate
from core.db import db
from outreach.models import Contractor, Invitation, Survey


def reset_database(url: str) -> None:
    """An empty, migrated database at ``url``: a PostgreSQL one has its schema dropped."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)


def seed_pulse(
    phones: Sequence[str],
    *,
    timezone: str,
    started: Callable[[int], date],
    invitation: dict[str, Any],
    **survey: Any,
) -> None:
    """One SMS pulse survey; an active contractor per phone number, in ``timezone``, the n-th
    started on ``started(n)``; and for each contractor one invitation due today, with
    ``invitation``'s columns (its status and times) over the plain ones. Rows go in as two
    statements: a roster of thousands in seconds."""
    at = datetime.now(UTC)
    with db.session() as session:
        pulse = Survey(
            key="pulse",
            name="Pulse",
            question="How is it going?",
            sms_template="Hi {first_name}, how is {client}? Reply 1-{scale_max}.",
            email_subject="How is {client}?",
            email_template="Hi {first_name}",
            **survey,
        )
        session.add(pulse)
        session.flush()
        session.execute(
            Contractor.__table__.insert(),
            [
                {
                    "external_id": f"B-{n:07d}",
                    "name": f"Contractor {n}",
                    "phone": phone,
                    "email": f"c{n}@example.com",
                    "timezone": timezone,
                    "channel": "sms",
                    "start_date": started(n),
                    "client": f"Client {n % 50}",
                    "account_manager": f"Manager {n % 20}",
                    "status": "active",
                    "language": "en",
                    "created_at": at,
                    "updated_at": at,
                }
                for n, phone in enumerate(phones)
            ],
        )
        ids = session.scalars(select(Contractor.id).order_by(Contractor.id)).all()
        session.execute(
            Invitation.__table__.insert(),
            [
                {
                    "survey_id": pulse.id,
                    "contractor_id": contractor_id,
                    "due_on": at.date(),
                    "channel": "sms",
                    "reply_token": f"t{contractor_id:031d}",
                    "reminder_count": 0,
                    "created_at": at,
                    "status_changed_at": at,
                    **invitation,
                }
                for contractor_id in ids
            ],
        )


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
