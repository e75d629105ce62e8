"""The application factory: configuration, database, queue, blueprints and CLI groups."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Flask, Response, jsonify, redirect, request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from core import logs, observability
from core.config import Settings, activate
from core.db import DatabaseBusy, db, is_busy
from core.queue import queues


def import_models() -> None:
    """Import every module that defines tables, so metadata (and Alembic) sees them all."""
    import staff.models
    import staff.notify.models
    import staff.work_models  # noqa: F401
    import surveys.flow_models
    import surveys.models  # noqa: F401


def configure_logging() -> None:
    """Logging for a process that runs the app (wsgi.py: gunicorn, ``flask worker``, ``flask
    cron``). Not done by create_app: an app built inside another program (tests, benchmarks)
    leaves that program's logging alone."""
    logs.configure(Settings.from_env().effective_log_format)  # LOG_FORMAT: json or text
    # The SDK logs every request and its headers at INFO.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app.

    Args:
        config: Flask config overrides; ``SETTINGS`` may carry a ready :class:`Settings`
            (tests do this), otherwise settings come from the environment.
    """
    app = Flask(__name__.split(".")[0], instance_relative_config=False)
    config = dict(config or {})
    settings: Settings = config.pop("SETTINGS", None) or Settings.from_env()
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.is_development,
        MAX_CONTENT_LENGTH=30 * 1024 * 1024,  # Inbound Parse posts carry attachments
    )
    app.config.update(config)
    activate(settings)
    # Redaction is the app's own concern (every process that runs it), unlike the logging setup.
    logs.install()

    if settings.trust_proxy:
        # Behind a TLS proxy the signed URL is the public one; see PROVIDERS.md. x_for gives
        # the visitor's address, which slows repeated failed sign-ins per address; x_port keeps
        # a port the proxy names only in X-Forwarded-Port.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)  # type: ignore[method-assign]

    import_models()
    db.init_app(app)
    queues.init_app(app)

    from outreach.tick import init_app as init_outreach
    from staff import init_app as init_staff
    from surveys import init_app as init_surveys
    from webhooks import init_app as init_webhooks

    init_outreach(app)
    init_surveys(app)
    init_webhooks(app)
    init_staff(app)

    from core.cli import register as register_core_cli
    from outreach.cli import consent_cli, contractors_cli
    from surveys.cli import surveys_cli

    register_core_cli(app)
    app.cli.add_command(contractors_cli)
    app.cli.add_command(consent_cli)
    app.cli.add_command(surveys_cli)

    app.add_url_rule("/healthz", "healthz", healthz)
    observability.init_app(app)
    # Someone who opens the address `make run` printed without its path finds the staff view.
    app.add_url_rule("/", "root", lambda: redirect("/staff/"))
    for error in _lock_wait_errors():
        app.register_error_handler(error, database_busy)
    return app


# Seconds a provider (or a browser) should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 10


def _lock_wait_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [
        DatabaseBusy,
        sa_exc.OperationalError,
        sa_exc.TimeoutError,
        sqlite3.OperationalError,
    ]
    try:
        import psycopg
    except ImportError:  # PostgreSQL is optional
        pass
    else:
        errors.append(psycopg.OperationalError)
    return tuple(errors)


def database_busy(exc: Exception) -> Response:
    """A lock held too long answers 503 with Retry-After, before the provider's own timeout,
    so the provider retries a request we have not stored; other database errors stay 500."""
    if not is_busy(exc):
        raise exc
    # The endpoint, not the path: the Inbound Parse path carries its secret.
    logging.getLogger(__name__).warning(
        "database busy: %s answered 503 (%s)", request.endpoint, type(exc).__name__
    )
    return Response(
        "The database is busy; try again shortly.\n",
        status=503,
        mimetype="text/plain",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def healthz() -> Any:
    parts: dict[str, str] = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        parts["db"] = "ok"
    except Exception as exc:  # any failure is the answer, not an error of this endpoint
        parts["db"] = f"error: {type(exc).__name__}"
    try:
        queues.quick.ping()  # a stalled Redis must not stall the health check too
        parts["redis"] = "ok"
    except Exception as exc:
        parts["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in parts.values())
    body = {"status": "ok" if healthy else "unavailable", **parts}
    return jsonify(body), 200 if healthy else 503
