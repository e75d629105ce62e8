"""A database locked by someone else for longer than a provider waits: webhooks answer 503
with Retry-After in bounded time, and the provider's retry after the lock is stored once."""

from __future__ import annotations

import dataclasses
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from core.config import Settings
from core.db import db
from outreach import consent
from outreach.models import Message
from tests.integration.conftest import Live

pytestmark = pytest.mark.slow

WAIT = 2.0  # WEB_DB_WAIT_SECONDS here; the default is 8
PHONE = "+12125550188"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, web_db_wait_seconds=WAIT)


@contextmanager
def _locked(database_url: str) -> Iterator[None]:
    """Someone else holds the database's write lock (SQLite) or the messages table
    (PostgreSQL `LOCK TABLE`) until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(str(url.database), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    import psycopg

    with psycopg.connect(url.set(drivername="postgresql").render_as_string(False)) as holder:
        holder.execute("LOCK TABLE messages")
        try:
            yield
        finally:
            holder.rollback()


def _post_sms(live: Live, sid: str, body: str) -> tuple[requests.Response, float]:
    settings: Settings = live.app.config["SETTINGS"]
    url = f"{live.url}/webhooks/twilio/sms"
    params = {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": sid,
        "From": PHONE,
        "To": settings.twilio_from_number,
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(url, params)
    started = time.monotonic()
    answer = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
    return answer, time.monotonic() - started


def _stored(sid: str) -> int:
    with db.session() as session:
        return int(
            session.scalar(select(func.count(Message.id)).where(Message.provider_id == sid)) or 0
        )


@pytest.mark.parametrize("body", ["3 my timecard is late", "STOP"], ids=["reply", "stop"])
def test_database_locked_webhook_answers_503_in_time_and_the_retry_is_stored_once(
    live: Live, database_url: str, body: str
) -> None:
    sid = "SM" + os.urandom(16).hex()
    with _locked(database_url):
        answer, seconds = _post_sms(live, sid, body)
    print(f"locked database: webhook answered {answer.status_code} in {seconds:.2f} s")
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"].isdigit()
    assert seconds < WAIT + 1.5
    assert _stored(sid) == 0

    retried, _ = _post_sms(live, sid, body)  # the provider's retry, once the lock is gone
    again, _ = _post_sms(live, sid, body)
    assert (retried.status_code, again.status_code) == (200, 200)
    assert _stored(sid) == 1
    if body == "STOP":
        with db.session() as session:
            assert not consent.may_contact(session, PHONE)


# The writers' file lock exists on SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_database_writer_turn_held_webhook_answers_503_in_time(
    live: Live, database_url: str
) -> None:
    """A writer stuck holding our SQLite writers' file lock must not hold every webhook."""
    path = make_url(database_url).database
    assert path is not None
    fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        sid = "SM" + os.urandom(16).hex()
        answer, seconds = _post_sms(live, sid, "4 fine")
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    assert answer.status_code == 503
    assert seconds < WAIT + 1.5
    assert _post_sms(live, sid, "4 fine")[0].status_code == 200
    assert _stored(sid) == 1
