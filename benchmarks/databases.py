"""What every benchmark does to its database before a round."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from core import migrate


def reset(url: str) -> None:
    """An empty, migrated database at ``url``: a PostgreSQL one loses its whole schema."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate.upgrade(url)
