"""What the log redaction takes out of a line, and what it leaves for finding things again."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import pytest
from flask import Flask, g

from core import logs


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        (
            '127.0.0.1 - - "POST /webhooks/sendgrid/inbound/s3cr3t-Path_Value HTTP/1.1" 200 0',
            '127.0.0.1 - - "POST /webhooks/sendgrid/inbound/[redacted] HTTP/1.1" 200 0',
        ),
        (
            "Exception on /webhooks/sendgrid/inbound/abc.def~x [POST]",
            "Exception on /webhooks/sendgrid/inbound/[redacted] [POST]",
        ),
        ('"POST /u/MTIz.abcDEF_-xyz HTTP/1.1" 200', '"POST /u/[redacted] HTTP/1.1" 200'),
        (
            '"GET /staff/contractors?q=Ana+Ortiz&page=2 HTTP/1.1" 200',
            '"GET /staff/contractors?q=[redacted]&page=2 HTTP/1.1" 200',
        ),
        (
            '"GET /staff/replies?team=care&q=%2B14155550101 HTTP/1.1" 200',
            '"GET /staff/replies?team=care&q=[redacted] HTTP/1.1" 200',
        ),
        (
            "HTTP 400 error: The 'To' number +14155550101 is not a valid phone number.",
            "HTTP 400 error: The 'To' number [phone] is not a valid phone number.",
        ),
        ("bounce for ana.ortiz+pulse@example.com", "bounce for [email]"),
        (
            "dropped inbound email <CAF9x@mail.gmail.com>: auto-reply",
            "dropped inbound email <CAF9x@mail.gmail.com>: auto-reply",
        ),
        (
            "[parameters: ('+14155550101', 'my boss yells at me', 5)]",
            "[parameters: [redacted]]",
        ),
        (
            "DETAIL:  Key (address)=(ana@example.com) already exists.",
            "DETAIL:  Key (address)=([redacted]) already exists.",
        ),
        (
            "DETAIL:  Failing row contains (7, inbound, null, my boss yells (again)).",
            "DETAIL:  Failing row contains ([redacted]).",
        ),
        ("invitation 42: provider asked us to retry (HTTP 429)", None),
    ],
)
def test_log_redaction_removes_secrets_and_personal_data_and_keeps_ids(
    line: str, clean: str | None
) -> None:
    assert logs.redact(line) == (line if clean is None else clean)


def test_log_redaction_applies_to_every_logger_and_to_tracebacks() -> None:
    logs.install()
    logs.install()  # twice changes nothing
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("sent to %s", "+14155550101")
        try:
            raise ValueError("'To' number +14155550102 is not valid")
        except ValueError:
            logger.exception("send %d failed", 42)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True

    text = out.getvalue()
    assert "+1415555010" not in text
    assert "some.library sent to [phone]" in text
    assert "send 42 failed" in text
    assert "ValueError: 'To' number [phone] is not valid" in text


def _written(formatter: logging.Formatter, emit: Callable[[logging.Logger], None]) -> str:
    logs.install()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    logger = logging.getLogger("pulse.test.format")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return out.getvalue()


def test_json_log_line_is_one_object_with_the_job_id_and_a_redacted_traceback() -> None:
    def emit(logger: logging.Logger) -> None:
        running = logs.current_job_id.set("job-42")
        try:
            raise ValueError("'To' number +14155550102 is not valid")
        except ValueError:
            logger.exception("send to %s failed", "+14155550101", extra={"invitation": 7})
        finally:
            logs.current_job_id.reset(running)

    text = _written(logs.JsonFormatter(), emit)

    assert text.count("\n") == 1
    line = json.loads(text)
    assert line["message"] == "send to [phone] failed"
    assert line["job_id"] == "job-42" and line["invitation"] == 7
    assert line["level"] == "ERROR" and line["logger"] == "pulse.test.format"
    assert "ValueError: 'To' number [phone] is not valid" in line["exception"]
    assert "request_id" not in line
    assert "+1415555010" not in text


def test_text_log_line_shows_the_request_id_in_brackets() -> None:
    app = Flask(__name__)
    with app.test_request_context():
        g.request_id = "req-9"
        text = _written(logs.TextFormatter(), lambda logger: logger.warning("stored"))

    assert " WARNING pulse.test.format [req-9] stored" in text


def test_log_call_passing_its_own_job_id_in_extra_is_written_with_it() -> None:
    # RQ logs a failed job with extra={"job_id": ...}: the record must take it, not raise.
    def emit(logger: logging.Logger) -> None:
        running = logs.current_job_id.set("job-42")
        try:
            logger.error("job failed", extra={"job_id": "job-7"})
        finally:
            logs.current_job_id.reset(running)

    line = json.loads(_written(logs.JsonFormatter(), emit))

    assert line["message"] == "job failed"
    assert line["job_id"] == "job-7"
