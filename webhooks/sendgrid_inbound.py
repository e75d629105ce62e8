"""SendGrid Inbound Parse: email replies, posted to a URL that carries a shared secret.

Same shape as the Twilio webhook: check the secret, store the message once (keyed by its
Message-ID), wake a reader, answer. SendGrid retries a 5xx for three days, so a problem with
the post itself gets a 4xx naming the field, and anything we choose not to keep (auto-replies,
bounces) gets a 200 so it is not sent again.
"""

from __future__ import annotations

import hmac
import logging

import redis
from flask import Blueprint, abort, current_app, request

from core.config import Settings
from core.db import db
from outreach import email_form, email_inbox, inbox

log = logging.getLogger(__name__)

# The name ends with "_webhooks": staff's CSRF check leaves provider posts alone.
bp = Blueprint("sendgrid_inbound_webhooks", __name__, url_prefix="/webhooks/sendgrid")


@bp.post("/inbound/<secret>")
def inbound_email(secret: str) -> tuple[str, int]:
    settings: Settings = current_app.config["SETTINGS"]
    expected = settings.sendgrid_inbound_secret
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        abort(403)
    try:
        fields = email_form.read_form(request.stream, request.content_type or "")
        message = email_inbox.parse(
            fields,
            inbound_domain=settings.sendgrid_inbound_domain,
            own_addresses=[settings.sendgrid_from_email],
        )
    except email_form.BadInboundEmail as exc:
        abort(400, str(exc))
    if message.automatic is not None:
        log.info("dropped inbound email %s: %s", message.message_id, message.automatic)
        return "", 200
    outcome = email_inbox.store(db.engine, message)
    if outcome.stored:
        try:
            inbox.nudge_processing()
        except (redis.RedisError, OSError):
            # Stored is what matters; the tick's sweep will pick the message up.
            log.warning("Redis unavailable; inbound email %s waits for the sweep", outcome.id)
    return "", 200
