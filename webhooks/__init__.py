"""Provider-facing HTTP: verify, store, nudge a worker, answer."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webhooks.sendgrid_inbound import bp as sendgrid_inbound_bp
    from webhooks.twilio import bp as twilio_bp

    app.register_blueprint(twilio_bp)
    app.register_blueprint(sendgrid_inbound_bp)
    from webhooks import sendgrid_events, unsubscribe

    app.register_blueprint(sendgrid_events.bp)
    app.register_blueprint(unsubscribe.bp)
