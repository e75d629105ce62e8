"""`make run` (core.launcher) as a person runs it: children that die come back, a Redis stall
does not stop the service, and Ctrl-C stops everything quietly, Redis last."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import requests

from tests.metrics_helpers import scrape, series, value
from tests.outreach_helpers import ROOT, process_tree

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(what: str, done: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _pids(launcher: subprocess.Popen[bytes], *words: str) -> list[int]:
    """Processes the launcher started (in any session) whose command line has all ``words``."""
    return [
        pid
        for pid in _all_descendants(launcher.pid)
        if all(word in _cmdline(pid) for word in words)
    ]


def _all_descendants(pid: int) -> list[int]:
    return [p for p in process_tree(pid) if p != pid]


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def launched(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port, sandbox_port = _free_port(), _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "SENDGRID_", "PULSE_", "REDIS_", "DATABASE_"))
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'pulse.sqlite3'}"
    log = tmp_path / "launcher.log"
    with log.open("wb") as out:
        launcher = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "core.launcher",
                "--no-seed",
                "--port",
                str(port),
                "--sandbox-port",
                str(sandbox_port),
                "--redis-dir",
                str(tmp_path / "redis"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # As in a terminal: the launcher leads a process group that Ctrl-C signals whole.
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    started: dict[int, str] = {}
    try:
        _wait_for("the web app", lambda: _healthy(url), 90)
        _wait_for("cron and the worker", lambda: bool(_pids(launcher, "wsgi", "cron")), 30)
        started = {pid: _cmdline(pid) for pid in process_tree(launcher.pid)}
        yield launcher, url, log
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGTERM)
            launcher.wait(60)
        # Anything left over, but only the very processes this test started.
        for pid in [*started, *process_tree(launcher.pid)]:
            if pid != launcher.pid and _cmdline(pid) and _cmdline(pid) == started.get(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def test_launcher_child_that_died_is_restarted_and_the_rest_keep_running(
    launched: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    launcher, url, log = launched
    [cron] = _pids(launcher, "wsgi", "cron")
    os.kill(cron, signal.SIGKILL)

    def new_cron() -> bool:
        crons = _pids(launcher, "wsgi", "cron")
        return bool(crons) and cron not in crons

    _wait_for("a new cron", new_cron, 15)
    assert launcher.poll() is None, log.read_text()
    assert _healthy(url)
    assert "cron exited with status" in log.read_text()


def test_launcher_redis_stall_leaves_everything_running_after_it(
    launched: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    launcher, url, log = launched
    [redis_server] = _pids(launcher, "redis-server")
    os.kill(redis_server, signal.SIGSTOP)
    try:
        time.sleep(12)  # longer than every Redis timeout the children have
        assert launcher.poll() is None, log.read_text()
    finally:
        os.kill(redis_server, signal.SIGCONT)
    _wait_for("the web app with Redis back", lambda: _healthy(url), 30)
    _wait_for("a cron", lambda: bool(_pids(launcher, "wsgi", "cron")), 60)
    _wait_for("a worker", lambda: bool(_pids(launcher, "wsgi", "worker")), 60)
    assert launcher.poll() is None, log.read_text()


def test_launcher_ctrl_c_stops_every_child_without_tracebacks(
    launched: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    launcher, _url, log = launched
    children = _all_descendants(launcher.pid)
    os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    assert launcher.wait(40) == 0
    output = log.read_text()
    assert "Traceback" not in output, output[-4000:]
    alive = [pid for pid in children if _cmdline(pid)]
    assert not alive, [_cmdline(pid) for pid in alive]


def test_launcher_redis_is_what_cli_commands_and_make_worker_join_without_redis_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core import queue

    monkeypatch.setattr(queue, "MAKE_RUN_REDIS_DIR", tmp_path / "redis")
    with queue.EmbeddedRedis(tmp_path / "redis") as make_run_redis:
        queues = queue.Queues()
        queues.configure("")  # no REDIS_URL
        try:
            queues.connection.set("joined", "yes")
            assert redis.Redis.from_url(make_run_redis.url).get("joined") == b"yes"
        finally:
            queues.close()


def test_launcher_child_that_keeps_dying_is_restarted_with_growing_backoff() -> None:
    from core.launcher import Supervisor

    dies = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor = Supervisor({"flaky": dies}, dict(os.environ), embedded=None)
    starts = []
    supervisor.start()
    try:
        deadline = time.monotonic() + 6.5
        while time.monotonic() < deadline:
            process = supervisor.children["flaky"].process
            if process is not None and (not starts or starts[-1][0] != process.pid):
                starts.append((process.pid, time.monotonic()))
            supervisor.watch()
            time.sleep(0.05)
    finally:
        supervisor.stop()
    gaps = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(starts)]
    # Started at 0, then about 1 s and 2 s later (the next would be 4 s on): no tight loop.
    assert len(starts) == 3, gaps
    assert 0.9 < gaps[0] < 1.6 and 1.9 < gaps[1] < 2.6, gaps


def test_launcher_metrics_add_up_every_child_with_no_configuration(
    launched: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    _launcher, url, _log = launched
    for _ in range(6):  # spread over gunicorn's two workers
        unsigned = requests.post(f"{url}/webhooks/twilio/sms", data={"Body": "5"}, timeout=10)
        assert unsigned.status_code == 403
    _wait_for("the worker's heartbeat", lambda: value(scrape(url), "pulse_workers") == 1, 30)

    samples = scrape(url)
    refused = {"endpoint": "twilio_webhooks.inbound_sms", "status": "403"}
    assert value(samples, "pulse_webhooks_total", **refused) == 6
    assert len(series(samples, "pulse_worker_last_heartbeat_timestamp_seconds")) == 1
    assert list((ROOT / "instance" / "metrics").glob("counter_*.db"))
