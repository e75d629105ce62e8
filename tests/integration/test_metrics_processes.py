"""Real processes, as `make run` and a deployment start them: gunicorn with two workers and an
RQ worker (forking a work horse per job), counting into one PROMETHEUS_MULTIPROC_DIR. One
scrape of the web app shows what every process counted; logs are JSON lines with request and
job ids and no phone number or message body."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
import requests

from core import migrate
from core.app import create_app
from core.config import Settings
from core.metrics import work_horse_identity
from core.queue import queues
from sandbox import Sandbox
from tests.conftest import _empty_tables
from tests.integration.test_loop import PHONE, _seed
from tests.metrics_helpers import Samples, scrape, series, value
from tests.process_helpers import ROOT, free_port, start, start_gunicorn

TOKEN = "Tw9xQ2vL7pK4mN8rS3dF6gH1jZ5cB0aE"
BODIES = [f"{n} my badge stopped working again, reader {n}" for n in range(1, 4)]
WORKER = "pulse-metrics-worker"


def _wait_for(check: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=10).status_code == 200
    except requests.RequestException:
        return False


@pytest.mark.slow
def test_metrics_from_gunicorn_workers_and_rq_work_horses_add_up_in_one_scrape(
    settings: Settings, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'pulse.sqlite3'}"
    migrate.upgrade(database)
    create_app({"SETTINGS": Settings.from_env({}, database_url=database, environment="test")})
    _empty_tables()
    _seed()
    queues.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sandbox = Sandbox(auth_token=TOKEN, app_url=base).start()
    metrics_dir = tmp_path / "metrics"
    env = {
        **os.environ,
        "PULSE_ENV": "test",
        "DATABASE_URL": database,
        "REDIS_URL": settings.redis_url,
        "SECRET_KEY": "k" * 40,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": base,
        "SANDBOX_URL": sandbox.url,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_FORMAT": "json",
        "MODEL_DIR": str(ROOT / "instance" / "models"),
    }
    web = start_gunicorn(env, port, workers=2)
    worker = start(env, "flask", "--app", "wsgi", "worker", "--name", WORKER)
    try:
        _wait_for(lambda: _answers(f"{base}/readyz"), "gunicorn to answer /readyz")
        traced = requests.get(f"{base}/readyz", headers={"X-Request-Id": "trace-7f3a"}, timeout=10)
        # Two rounds, read by at least two jobs (two work horses) of the one worker.
        for round_ in (BODIES[:2], BODIES[2:]):
            expected = _read(scrape(base)) + len(round_)
            for body in round_:
                assert sandbox.reply(PHONE, body) == 200
            _wait_for(
                lambda goal=expected: _read(scrape(base)) == goal,  # type: ignore[misc]
                "the worker to read the replies",
            )
            time.sleep(2)  # the reader lingers a moment: let its job end before the next round
        samples = scrape(base)
    finally:
        web_log, worker_log = _stop(web), _stop(worker)
        sandbox.stop()

    sms = {"endpoint": "twilio_webhooks.inbound_sms", "status": "200"}
    assert value(samples, "pulse_webhooks_total", **sms) == len(BODIES)
    assert value(samples, "pulse_replies_read_total", outcome="read") == len(BODIES)
    assert value(samples, "pulse_tickets_opened_total", category="equipment_access") == 1
    assert value(samples, "pulse_replies_waiting") == 0
    beats = series(samples, "pulse_worker_last_heartbeat_timestamp_seconds")
    assert [dict(labels)["worker"] for labels in beats] == [WORKER]
    assert abs(next(iter(beats.values())) - time.time()) < 60

    # Each work horse counted into its worker's files, not into a set of its own.
    horse_files = sorted(p.name for p in metrics_dir.glob("counter_*rqhorse-*.db"))
    assert horse_files == [f"counter_{work_horse_identity(worker.pid)}.db"]
    jobs_done = worker_log.count("Job OK") or worker_log.count("Successfully completed")
    assert jobs_done >= 2, worker_log

    assert traced.headers["X-Request-Id"] == "trace-7f3a"
    lines = [json.loads(line) for text in (web_log, worker_log) for line in text.splitlines()]
    assert any(line.get("request_id") == "trace-7f3a" for line in lines)
    assert any(line.get("job_id") for line in lines), worker_log
    everything = web_log + worker_log
    assert PHONE not in everything and PHONE.removeprefix("+") not in everything
    assert not any(body in everything for body in BODIES)


def _stop(process: subprocess.Popen[bytes]) -> str:
    """Its output, after a warm stop (or a kill: RQ's pub/sub thread can hang at exit)."""
    process.send_signal(signal.SIGTERM)
    try:
        output = process.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate()[0]
    return output.decode()


def _read(samples: Samples) -> float:
    return value(samples, "pulse_replies_read_total", outcome="read")
