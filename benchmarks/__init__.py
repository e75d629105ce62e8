"""Benchmarks, run as scripts (`make bench`); what they share."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable

from sqlalchemy import create_engine, text

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
