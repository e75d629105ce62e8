"""A live app on a real WSGI server, with the provider sandbox in front of it."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from flask import Flask
from rq import SimpleWorker
from werkzeug.serving import BaseWSGIServer, make_server

from core.app import create_app
from core.config import Settings
from core.queue import QUEUE_NAMES, Drain, queues
from sandbox import Sandbox
from tests.conftest import _empty_tables


@dataclass
class Live:
    app: Flask
    url: str
    sandbox: Sandbox
    redis: redis.Redis

    def work(self) -> None:
        """Run a real RQ worker until the queues are empty."""
        SimpleWorker(list(QUEUE_NAMES), connection=queues.connection).work(burst=True)


@pytest.fixture
def fast_drains(monkeypatch: pytest.MonkeyPatch) -> None:
    # Readers linger to catch late writers; in a burst worker that is only waiting.
    for drain in Drain.all:
        monkeypatch.setattr(drain, "linger", 0.0)
        monkeypatch.setattr(drain, "quiet", 0.05)


@pytest.fixture
def live(settings: Settings, redis_conn: redis.Redis, fast_drains: None) -> Iterator[Live]:
    holder: dict[str, Callable[..., Any]] = {}

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return holder["app"](environ, start_response)

    server: BaseWSGIServer = make_server("127.0.0.1", 0, dispatch, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    sandbox = Sandbox(
        auth_token=settings.twilio_auth_token,
        app_url=url,
        inbound_secret=settings.sendgrid_inbound_secret,
    ).start()
    live_settings = dataclasses.replace(settings, public_base_url=url, sandbox_url=sandbox.url)
    app = create_app({"SETTINGS": live_settings, "TESTING": True})
    _empty_tables()
    for drain in Drain.all:
        drain.forget()
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Live(app=app, url=url, sandbox=sandbox, redis=redis_conn)
    finally:
        server.shutdown()
        sandbox.stop()
        queues.close()
