"""Real log output, captured where it is written: no secret path, no phone, no message body."""

from __future__ import annotations

import io
import logging
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import migrate
from core.db import db
from outreach.email_events import apply_events, parse_events
from outreach.models import Consent
from tests.factories import make_message
from tests.integration.conftest import Live
from tests.process_helpers import free_port, start_gunicorn

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Zq7Lp0Xv3Nc8Rb2Tm5Wk9Hy4Jd6Gf1Se"
PHONE = "+14155550177"
BODY = "my supervisor keeps yelling at me"


@contextmanager
def _captured(name: str) -> Iterator[io.StringIO]:
    """What the logger ``name`` writes, through an ordinary handler and formatter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger(name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_gunicorn_access_log_hides_the_inbound_secret_and_unsubscribe_token(
    tmp_path: Path, redis_url: str
) -> None:
    database = f"sqlite:///{tmp_path / 'pulse.sqlite3'}"
    migrate.upgrade(database)
    port = free_port()
    env = {
        **os.environ,
        "PULSE_ENV": "test",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "k" * 40,
        "SENDGRID_INBOUND_SECRET": SECRET,
        "MODEL_DIR": str(tmp_path / "models"),
    }
    server = start_gunicorn(env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                break
            except requests.RequestException:  # not listening yet, or a worker still booting
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        inbound = requests.post(
            f"{base}/webhooks/sendgrid/inbound/{SECRET}", data={"x": "1"}, timeout=10
        )
        unsubscribe = requests.get(f"{base}/u/MTIz.c2lnbmVkLXRva2Vu", timeout=10)
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    log = output.decode()

    assert inbound.status_code == 400 and unsubscribe.status_code in (200, 404)
    assert SECRET not in log
    assert "c2lnbmVkLXRva2Vu" not in log
    assert '"POST /webhooks/sendgrid/inbound/[redacted] HTTP/1.1" 400' in log
    assert '"GET /u/[redacted] HTTP/1.1"' in log


def test_development_server_request_log_hides_the_inbound_secret(live: Live) -> None:
    secret = live.app.config["SETTINGS"].sendgrid_inbound_secret
    with _captured("werkzeug") as out:
        answer = requests.post(
            f"{live.url}/webhooks/sendgrid/inbound/{secret}", data={"x": "1"}, timeout=10
        )

    assert answer.status_code == 400
    assert secret not in out.getvalue()
    assert "POST /webhooks/sendgrid/inbound/[redacted] HTTP/1.1" in out.getvalue()


def test_database_error_logged_with_its_traceback_shows_no_phone_or_body(
    app: object, session: Session
) -> None:
    session.add(Consent(address=PHONE, channel="sms"))
    session.commit()
    with _captured("surveys.jobs") as out:
        for bad in (
            lambda: session.add(Consent(address=PHONE, channel="sms")),  # unique address
            lambda: make_message(session, contractor_id=987654, body=BODY, from_address=PHONE),
        ):
            try:
                bad()
                session.flush()
            except IntegrityError:
                session.rollback()
                logging.getLogger("surveys.jobs").exception("reading inbound message %s failed", 7)
            else:
                pytest.fail("the database accepted a row it must refuse")
    text = out.getvalue()

    assert text.count("reading inbound message 7 failed") == 2
    assert "IntegrityError" in text
    assert PHONE not in text
    assert BODY not in text
    assert db.engine.hide_parameters


def test_ignored_email_event_is_logged_by_its_id_not_the_address(app: object) -> None:
    events = parse_events(
        [
            {
                "event": "delivered",
                "email": "ana.ortiz@example.com",
                "sg_event_id": "evt-123",
                "timestamp": 1767000000,
            }
        ]
    )
    with db.session() as session:
        outcome = apply_events(session, events)

    assert outcome.ignored == ["delivered evt-123: no message of ours"]
