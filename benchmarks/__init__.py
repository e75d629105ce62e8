"""Benchmarks, run as scripts (`make bench`); what they share."""

from __future__ import annotations

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
