"""A live app on a real WSGI server, with the provider sandbox in front of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from flask import Flask
from rq import SimpleWorker

from core.app import create_app
from core.config import Settings
from core.queue import QUEUE_NAMES, Drain, queues
from sandbox import Sandbox
from tests.conftest import _empty_tables
from tests.live_server import LiveServer


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
    server = LiveServer()
    url = server.url
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
    server.start(app)
    try:
        yield Live(app=app, url=url, sandbox=sandbox, redis=redis_conn)
    finally:
        server.stop()
        sandbox.stop()
        queues.close()
