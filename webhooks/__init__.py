"""Provider-facing HTTP: verify, store, nudge a worker, answer."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webhooks.twilio import bp as twilio_bp

    app.register_blueprint(twilio_bp)
