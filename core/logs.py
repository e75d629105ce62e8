"""Keeping secrets and contractors' personal data out of every log line this process writes.

Redaction happens where records are made (the log record factory), not in one handler, so it
covers every logger whoever configured it: gunicorn's access and error logs (the access log is
written by the worker that runs the app), werkzeug's request log, Flask's "Exception on <path>",
RQ's job failures, and our own. What is removed:

- the Inbound Parse secret, which SendGrid can only be given as part of the URL it posts to, so
  it is in every request line; one-click unsubscribe tokens, which act without sign-in; and
  what staff searched for (``?q=``: a contractor's name, number or email);
- phone numbers and email addresses (a provider's error text quotes the number it refused);
  Message-IDs in angle brackets are ids, and stay;
- values a database quotes in its errors: SQLAlchemy's ``[parameters: ...]`` (engines are made
  with ``hide_parameters=True`` too) and PostgreSQL's ``Key (...)=(...)`` and
  ``Failing row contains (...)``, which can hold message bodies.

Log ids, not content: a redacted line still says which message or invitation it was about.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(/webhooks/sendgrid/inbound/)[^\s\"'?#]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/u/)[A-Za-z0-9_.\-]{8,}"), rf"\g<1>{REDACTED}"),
    (re.compile(r"([?&]q=)[^&\s\"'#]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"\[parameters: [^\n]*"), f"[parameters: {REDACTED}]"),
    (
        re.compile(r"(Key \([^)\n]*\)=\()[^\n]*?(\) (?:already exists|is not present))"),
        rf"\g<1>{REDACTED}\2",
    ),
    (re.compile(r"(Failing row contains \()[^\n]*(\))"), rf"\g<1>{REDACTED}\2"),
    (re.compile(r"(?<![\w.+-])\+\d{8,15}\b"), "[phone]"),
    (re.compile(r"(?<![<\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return record  # a malformed call: logging reports it itself when the record is emitted
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text when it is set, so the traceback is only ever shown clean.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    return record


def install() -> None:
    """Redact every log record this process makes from now on; calling it again does nothing."""
    make = logging.getLogRecordFactory()
    if getattr(make, "redacts", False):
        return

    def redacting(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(make(*args, **kwargs))

    redacting.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting)
