"""SQLAlchemy 2 engine and sessions. The schema itself belongs to Alembic (``migrations/``)."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, Table, bindparam, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

if TYPE_CHECKING:
    from flask import Flask

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, **kwargs: Any) -> Engine:
    # Statement parameters are phone numbers and message bodies: never put them in an error
    # message, which ends up in logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web process write while workers read; NORMAL sync is durable across a
    # process crash, which is the failure this service must survive.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """One engine and session factory per process, configured by ``init_app`` or ``configure``."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None

    def configure(self, url: str) -> None:
        if self._engine is not None and str(self._engine.url) == url:
            return
        if self._engine is not None:
            self._engine.dispose()
        self._engine = make_engine(url)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None
        self._sessions = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("database is not configured: call create_app() first")
        return self._engine

    def new_session(self) -> Session:
        if self._sessions is None:
            raise RuntimeError("database is not configured: call create_app() first")
        return self._sessions()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one unit of work: committed on success, rolled back on error."""
        session = self.new_session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def init_app(self, app: Flask) -> None:
        self.configure(app.config["SETTINGS"].database_url)
        app.teardown_appcontext(_close_request_session)


db = Database()


def request_session() -> Session:
    """The session for the current Flask request, closed when the request ends."""
    from flask import g

    if "db_session" not in g:
        g.db_session = db.new_session()
    session: Session = g.db_session
    return session


def _close_request_session(_exc: BaseException | None) -> None:
    from flask import g

    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@dataclass(frozen=True)
class _PreparedInsert:
    sql: str
    order: tuple[str, ...]  # parameter order, for drivers that take positional parameters
    positional: bool
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]


@lru_cache(maxsize=64)
def _prepared_insert(table: Table, columns: tuple[str, ...], dialect: Dialect) -> _PreparedInsert:
    stmt = (
        insert_ignoring_duplicates(table, dialect.name)
        .values({c: bindparam(c, type_=table.c[c].type) for c in columns})
        .returning(table.c.id)
    )
    compiled = stmt.compile(dialect=dialect)
    processors = []
    for column in columns:
        process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((column, process))
    return _PreparedInsert(
        sql=str(compiled),
        order=tuple(compiled.positiontup or ()),
        positional=compiled.positional,
        processors=tuple(processors),
    )


def insert_once(engine: Engine, table: Table, row: dict[str, Any]) -> int | None:
    """Insert ``row`` and commit, unless a unique key says we have it already.

    Returns the new id, or None for a duplicate. This is the webhooks' hot path: everything a
    webhook must do before it answers is store what it got, durably, once. So the statement is
    compiled once (by SQLAlchemy, with the columns' own type processing) and run on the driver's
    connection, without a per-request trip through the ORM's execution machinery.
    """
    prepared = _prepared_insert(table, tuple(sorted(row)), engine.dialect)
    values = dict(row)
    for column, process in prepared.processors:
        values[column] = process(values[column])
    params: Any = [values[k] for k in prepared.order] if prepared.positional else values
    with _writer_lock(engine):
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(prepared.sql, params)
            found = cursor.fetchone()
            cursor.close()
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()  # back to the pool
    return int(found[0]) if found else None


_locks: dict[tuple[int, str], tuple[threading.Lock, int]] = {}
_locks_guard = threading.Lock()


@contextmanager
def _writer_lock(engine: Engine) -> Iterator[None]:
    """Take turns at the SQLite write lock without SQLite's sleeping busy handler.

    SQLite admits one writer at a time, and a writer that finds the lock taken sleeps 1 ms,
    then 2, 5, 10 ... before trying again: under concurrent webhooks most of the time went to
    sleeping. Writers here queue on an OS file lock instead, whose waiters wake the moment it is
    released. PostgreSQL needs none of this.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    # Keyed by process too: a descriptor inherited across fork() shares its lock.
    key = (os.getpid(), database)
    with _locks_guard:
        if key not in _locks:
            fd = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            _locks[key] = (threading.Lock(), fd)
        thread_lock, fd = _locks[key]
    with thread_lock:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def insert_ignoring_duplicates(table: Any, dialect_name: str) -> Any:
    """An INSERT that quietly does nothing when a unique key already exists.

    This is how webhooks stay idempotent without a read before every write: the unique
    provider id decides, atomically, in the database.
    """
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    if dialect_name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"no insert-or-ignore for {dialect_name}")
