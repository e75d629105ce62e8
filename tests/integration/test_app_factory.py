"""create_app builds an app and nothing else: the host program's logging is its own."""

from __future__ import annotations

import logging

import pytest

from core.app import configure_logging, create_app
from core.config import Settings

SDK_LOGGER = "twilio.http_client"


def test_create_app_leaves_the_host_programs_logging_alone(settings: Settings) -> None:
    sdk = logging.getLogger(SDK_LOGGER)
    sdk.setLevel(logging.NOTSET)
    root_handlers = list(logging.getLogger().handlers)

    create_app({"SETTINGS": settings, "TESTING": True})

    assert sdk.level == logging.NOTSET
    assert logging.getLogger().handlers == root_handlers


def test_configure_logging_quietens_the_sdk_request_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    sdk = logging.getLogger(SDK_LOGGER)
    monkeypatch.setattr(sdk, "level", logging.NOTSET)

    configure_logging()

    assert sdk.level == logging.WARNING
