"""What an operator's tools ask a web process: /metrics, /readyz, and request ids.

- **Request ids**: each request takes the caller's ``X-Request-Id`` (a proxy's or a load
  balancer's) when it is a plain token, or makes one; every log line made while serving it
  carries it (``core.logs``), and the response echoes it.
- **/metrics**: Prometheus text, summed over every process that shares
  ``PROMETHEUS_MULTIPROC_DIR`` (see ``core.metrics``). With ``METRICS_TOKEN`` set, a scraper
  must send ``Authorization: Bearer <token>``; without one it is open in development and
  answers 403 elsewhere: the figures are no one's personal data, but volumes, error rates and
  worker host names are the firm's business, and a deployment behind a local proxy cannot
  tell a stranger from localhost by address.
- **/readyz**: whether this process should be given traffic: the database answers and its
  schema is at the migrations' head (a web process started before ``flask db upgrade`` ran
  would fail on every write). Redis is not needed: webhooks store without it.
  ``/healthz`` is different: it says whether the parts (database and Redis) answer right now,
  for a monitor that pages someone.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Iterable
from datetime import UTC
from functools import lru_cache
from typing import Any

import redis
from flask import Flask, Response, current_app, g, jsonify, request
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import text

from core import metrics, migrate
from core.config import Settings
from core.db import db
from core.queue import queues

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
# A caller's id is kept only when it is a plain token: it ends up in every log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def init_app(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", metrics_view)
    app.add_url_rule("/readyz", "readyz", readyz)
    metrics.on_scrape(worker_heartbeats)


def _begin() -> None:
    g.started = time.perf_counter()
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    blueprint = request.blueprint or ""
    # Provider-facing blueprints end with "_webhooks" (staff's CSRF check relies on it too).
    if blueprint.endswith("_webhooks") and "started" in g:
        endpoint = request.endpoint or "unknown"
        metrics.WEBHOOKS.labels(endpoint=endpoint, status=str(response.status_code)).inc()
        metrics.WEBHOOK_SECONDS.labels(endpoint=endpoint).observe(time.perf_counter() - g.started)
    return response


def metrics_view() -> Any:
    settings: Settings = current_app.config["SETTINGS"]
    token = settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response(
                "A bearer token is required.\n",
                status=401,
                mimetype="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    elif not settings.is_development:
        return Response(
            "Set METRICS_TOKEN to scrape /metrics.\n", status=403, mimetype="text/plain"
        )
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


def worker_heartbeats() -> Iterable[Metric]:
    """When each RQ worker last said it was alive, from RQ's own worker registry (a worker
    renews it while idle and while its job runs; a dead one drops out when its key expires)."""
    from rq import Worker

    try:
        workers = Worker.all(connection=queues.quick)
    except (redis.RedisError, OSError) as exc:
        log.warning("worker heartbeats not measured: %s", type(exc).__name__)
        return
    seen = GaugeMetricFamily(
        "pulse_worker_last_heartbeat_timestamp_seconds",
        "Unix time of each RQ worker's last heartbeat.",
        labels=["worker", "host"],
    )
    for worker in workers:
        if worker.last_heartbeat is not None:
            beat = worker.last_heartbeat.replace(tzinfo=worker.last_heartbeat.tzinfo or UTC)
            seen.add_metric([worker.name, worker.hostname or ""], beat.timestamp())
    yield seen
    yield GaugeMetricFamily("pulse_workers", "RQ workers registered in Redis.", value=len(workers))


@lru_cache(maxsize=1)
def migrations_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()


def readyz() -> Any:
    head = migrations_head()
    try:
        with db.engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # any failure is the answer, not an error of this endpoint
        body = {"status": "not ready", "db": f"error: {type(exc).__name__}"}
        return jsonify(body), 503
    if current != head:
        body = {
            "status": "not ready",
            "db": "ok",
            "schema": f"at {current}, not at head {head}: run flask db upgrade",
        }
        return jsonify(body), 503
    return jsonify({"status": "ready", "db": "ok", "schema": head}), 200
