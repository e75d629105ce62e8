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

Every record also carries the id of the web request (``request_id``: the caller's
``X-Request-Id`` or one we made, echoed in the response) or of the RQ job (``job_id``) it was
made in, so one request's or one job's lines can be found together. :func:`configure` writes
them as JSON lines (``LOG_FORMAT=json``, the default outside development, for a log shipper)
or as text for a person at a terminal (``LOG_FORMAT=text``, the default in development).
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
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
        _add_context(record)
        return record  # a malformed call: logging reports it itself when the record is emitted
    _add_context(record)
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


# The RQ job a worker runs, set by the worker for the whole job: its own lines about the job
# and, inherited across the fork, every line of the work horse that runs it.
current_job_id: ContextVar[str | None] = ContextVar("current_job_id", default=None)


def _add_context(record: logging.LogRecord) -> None:
    request_id = current_request_id()
    if request_id is None and isinstance(record.args, dict):
        # gunicorn's access line, written after the request: its atoms hold the response's
        # headers, ours among them.
        given = record.args.get("{x-request-id}o")
        request_id = given if given and given != "-" else None
    job_id = current_job_id.get()
    if job_id is None:
        from rq import get_current_job

        job = get_current_job()  # a job run in-process (RQ's SimpleWorker)
        job_id = job.id if job is not None else None
    # Under a private name: a caller (RQ among them) may pass its own ``job_id`` in ``extra``,
    # and logging refuses an ``extra`` key the record already has.
    record._context_ids = (request_id, job_id)


def context_ids(record: logging.LogRecord) -> dict[str, str]:
    """The record's request and job ids: what the caller passed, else what we know."""
    known = getattr(record, "_context_ids", (None, None))
    ids = {}
    for name, fallback in zip(("request_id", "job_id"), known, strict=True):
        value = getattr(record, name, None) or fallback
        if value:
            ids[name] = str(value)
    return ids


def current_request_id() -> str | None:
    from flask import g, has_request_context

    return g.get("request_id") if has_request_context() else None


# Attributes every LogRecord has; anything else a caller passed in ``extra`` is shown too.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "context"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request or job id, and the
    traceback (already redacted) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and value is not None and not key.startswith("_"):
                line[key] = value if isinstance(value, (int, float, bool)) else str(value)
        line.update(context_ids(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self.formatException(record.exc_info))
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the request or job id in brackets when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.context = "".join(f" [{i}]" for i in context_ids(record).values())
        return super().format(record)


LOG_FORMATS = ("json", "text")


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Redact, and write every record to stderr as ``log_format`` says ("json" or "text").

    Replaces the root logger's handlers, so calling it again (each create_app) changes
    nothing but the format."""
    install()
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "pulse", False):
            root.removeHandler(old)
    handler.pulse = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
