"""/readyz says whether a process should get traffic; request ids travel with each request."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from core import migrate
from core.app import create_app
from core.config import Settings
from core.observability import migrations_head


def test_readyz_with_the_schema_at_head_answers_ready(client: FlaskClient) -> None:
    answer = client.get("/readyz")

    assert answer.status_code == 200
    assert answer.json == {"status": "ready", "db": "ok", "schema": migrations_head()}


def test_readyz_on_a_database_behind_the_migrations_answers_503_naming_it(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    behind = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    migrate.upgrade(behind, "0001")
    stale = create_app({"SETTINGS": dataclasses.replace(settings, database_url=behind)})

    answer = stale.test_client().get("/readyz")

    assert answer.status_code == 503
    assert answer.json is not None
    assert answer.json["schema"].startswith("at 0001, not at head")
    assert "flask db upgrade" in answer.json["schema"]


def test_readyz_without_a_database_answers_503_naming_the_database(
    app: Flask, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "not-a-file").mkdir()
    missing = f"sqlite:///{tmp_path / 'not-a-file'}"
    broken = create_app({"SETTINGS": dataclasses.replace(settings, database_url=missing)})

    answer = broken.test_client().get("/readyz")

    assert answer.status_code == 503
    assert answer.json is not None and answer.json["db"].startswith("error: ")


def test_request_id_given_by_the_caller_is_echoed(client: FlaskClient) -> None:
    answer = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.01:z"})

    assert answer.headers["X-Request-Id"] == "lb-7f3a.01:z"


def test_request_id_missing_or_unsafe_is_replaced_by_one_we_make(client: FlaskClient) -> None:
    made = client.get("/healthz").headers["X-Request-Id"]
    unsafe = client.get("/healthz", headers={"X-Request-Id": '<script>"+14155550101"'}).headers[
        "X-Request-Id"
    ]
    too_long = client.get("/healthz", headers={"X-Request-Id": "a" * 129}).headers["X-Request-Id"]

    for request_id in (made, unsafe, too_long):
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert len({made, unsafe, too_long}) == 3
