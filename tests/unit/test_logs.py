"""What the log redaction takes out of a line, and what it leaves for finding things again."""

from __future__ import annotations

import io
import logging

import pytest

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
