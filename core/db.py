"""SQLAlchemy 2 engine and sessions. The schema itself belongs to Alembic (``migrations/``)."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, Table, bindparam, create_engine, event, text
from sqlalchemy import exc as sa_exc
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


# Jobs wait this long for a lock another process holds: their work is not on anyone's clock,
# and giving up would count as a failed attempt at reading a reply.
JOB_DB_WAIT_SECONDS = 30.0
# A web request's statements end before gunicorn's 30 s worker timeout would kill the worker.
WEB_STATEMENT_TIMEOUT_SECONDS = 25.0


class DatabaseBusy(Exception):
    """The database (or our SQLite writers' turn) stayed locked longer than this caller may
    wait; web requests answer 503 and the provider retries."""


def request_wait_seconds() -> float | None:
    """How long a web request may wait for a database lock (``WEB_DB_WAIT_SECONDS``:
    providers give up on a webhook after 15 s); None outside a request."""
    from flask import current_app, has_request_context

    if not has_request_context():
        return None
    return float(current_app.config["SETTINGS"].web_db_wait_seconds)


def is_busy(exc: BaseException) -> bool:
    """True for a lock wait that ran out (SQLite busy/locked, PostgreSQL lock_timeout or
    statement_timeout, no pooled connection free in time)."""
    if isinstance(exc, (DatabaseBusy, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
    sqlite_code = getattr(exc, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (with extended codes)
    return getattr(exc, "sqlstate", None) in {"55P03", "57014"}  # lock_not_available, canceled


def make_engine(url: str, **kwargs: Any) -> Engine:
    # Statement parameters are phone numbers and message bodies: never put them in an error
    # message, which ends up in logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": JOB_DB_WAIT_SECONDS}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "checkout", _bound_lock_waits)
    return engine


def _bound_lock_waits(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Give each pooled connection the lock wait of whoever checks it out (web request or
    job), setting it only when that changes, so the hot path pays a dict lookup."""
    wait = request_wait_seconds()
    if record.info.get("wait_seconds", JOB_DB_WAIT_SECONDS) == wait:
        return
    cursor = dbapi_connection.cursor()
    if hasattr(dbapi_connection, "create_function"):  # sqlite3
        cursor.execute(f"PRAGMA busy_timeout={int((wait or JOB_DB_WAIT_SECONDS) * 1000)}")
    else:
        # 0: jobs wait as long as it takes, as PostgreSQL does by default.
        lock_ms = int(wait * 1000) if wait else 0
        statement_ms = int(WEB_STATEMENT_TIMEOUT_SECONDS * 1000) if wait else 0
        cursor.execute(f"SET lock_timeout = {lock_ms}")
        cursor.execute(f"SET statement_timeout = {statement_ms}")
        dbapi_connection.commit()  # a SET inside a transaction that rolls back is undone
    cursor.close()
    record.info["wait_seconds"] = wait


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web process write while workers read; NORMAL sync is durable across a
    # process crash, which is the failure this service must survive.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(JOB_DB_WAIT_SECONDS * 1000)}")
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
    wait = request_wait_seconds()
    with _writer_lock(engine, wait) as left:
        connection = engine.raw_connection()
        # A request that waited for its turn may only wait what is left of its time on SQLite.
        shortened = wait is not None and left is not None and left < wait - 0.01
        try:
            cursor = connection.cursor()
            if shortened and left is not None:
                cursor.execute(f"PRAGMA busy_timeout={max(1, int(left * 1000))}")
            cursor.execute(prepared.sql, params)
            found = cursor.fetchone()
            cursor.close()
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            if shortened and wait is not None:
                connection.cursor().execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
            connection.close()  # back to the pool
    return int(found[0]) if found else None


_locks: dict[tuple[int, str], tuple[threading.Lock, int]] = {}
_locks_guard = threading.Lock()


@contextmanager
def _writer_lock(engine: Engine, wait: float | None) -> Iterator[float | None]:
    """Take turns at the SQLite write lock without SQLite's sleeping busy handler.

    SQLite admits one writer at a time, and a writer that finds the lock taken sleeps 1 ms,
    then 2, 5, 10 ... before trying again: under concurrent webhooks most of the time went to
    sleeping. Writers here queue on an OS file lock instead, whose waiters wake the moment it is
    released (jobs, ``wait`` None) or within a fraction of a millisecond (web requests, which
    give up with :class:`DatabaseBusy` after ``wait`` seconds: a holder stuck behind a foreign
    lock must not make every webhook behind it wait in turn). Yields the seconds left of
    ``wait``. PostgreSQL needs none of this.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield wait
        return
    deadline = time.monotonic() + (wait if wait is not None else 0.0)
    # Keyed by process too: a descriptor inherited across fork() shares its lock.
    key = (os.getpid(), database)
    with _locks_guard:
        if key not in _locks:
            fd = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            _locks[key] = (threading.Lock(), fd)
        thread_lock, fd = _locks[key]
    if not thread_lock.acquire(timeout=-1 if wait is None else wait):
        raise DatabaseBusy(f"no turn to write within {wait:g} s")
    try:
        _flock_by(fd, None if wait is None else deadline)
        try:
            yield None if wait is None else deadline - time.monotonic()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        thread_lock.release()


@contextmanager
def writer_turn(engine: Engine) -> Iterator[None]:
    """For a job's write transaction on SQLite: wait for its turn with the webhooks' writers
    (see :func:`_writer_lock`), hold it until the transaction inside has committed. A no-op on
    PostgreSQL."""
    with _writer_lock(engine, None):
        yield


def _flock_by(fd: int, deadline: float | None) -> None:
    if deadline is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    pause = 0.0001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DatabaseBusy("no turn to write in time") from None
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.002)


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


def insert_rows_ignoring_duplicates(
    session: Session, table: Any, rows: list[dict[str, Any]]
) -> int:
    """Insert many rows at once, skipping those whose unique key exists already. Returns how
    many went in (on SQLite, how many were offered).

    On PostgreSQL the rows travel by COPY into a scratch table dropped at commit and move over
    in one INSERT ... SELECT: an executemany there costs one statement per row, which is most
    of the time of planning a large roster.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect != "postgresql":
        session.execute(insert_ignoring_duplicates(table, dialect), rows)
        return len(rows)
    columns = list(rows[0])
    if not set(columns) <= set(table.c.keys()):
        raise ValueError(f"not columns of {table.name}: {set(columns) - set(table.c.keys())}")
    names = ", ".join(columns)  # the table's own column names (checked above), never input
    scratch = f"incoming_{table.name}"
    session.execute(
        text(
            f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {names} FROM {table.name} WITH NO DATA"
        )
    )
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
    result = session.execute(
        text(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {scratch} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
    )
    session.execute(text(f"TRUNCATE {scratch}"))
    return int(result.rowcount)  # type: ignore[attr-defined]


def commit_unflushed(session: Session) -> None:
    """Commit without waiting for the disk, for a transaction whose loss a later step repairs.

    On PostgreSQL the commit returns before its WAL is flushed; the next commit that does wait
    (any later one on the server) flushes it too, so only a crash of the database server in
    between loses it, never a crash of this process. SQLite commits in WAL mode with
    ``synchronous=NORMAL`` already leave the flush to the checkpoint: nothing to change there.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.commit()
