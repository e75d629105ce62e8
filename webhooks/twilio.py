"""Twilio webhooks: inbound SMS and message status callbacks.

Each handler verifies ``X-Twilio-Signature``, stores what arrived (once, keyed by MessageSid),
and answers. The reading of a reply happens in a worker: Twilio gives a webhook 15 seconds and
then retries, so the answer must not wait on anything slow.
"""

from __future__ import annotations

import hmac
import logging
from functools import lru_cache

import redis
from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from core.config import Settings
from core.db import db
from outreach import delivery, inbox

log = logging.getLogger(__name__)

bp = Blueprint("twilio_webhooks", __name__, url_prefix="/webhooks/twilio")

_EMPTY_TWIML = str(MessagingResponse())


@lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


def _called_url() -> str:
    env = request.environ
    host = env.get("HTTP_HOST") or f"{env['SERVER_NAME']}:{env['SERVER_PORT']}"
    url = f"{env['wsgi.url_scheme']}://{host}{env.get('SCRIPT_NAME', '')}{env.get('PATH_INFO', '')}"
    query = env.get("QUERY_STRING")
    return f"{url}?{query}" if query else url


def _verify_signature() -> None:
    """403 unless Twilio signed exactly this URL and these parameters."""
    settings: Settings = current_app.config["SETTINGS"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        abort(403)
    validator = _validator(settings.twilio_auth_token)
    form = request.form
    # The exact URL we were called on is by far the common case: one HMAC over it, built
    # straight from the WSGI environ, before the SDK's full check (two HMACs, with and without
    # the port, over Werkzeug's IRI-normalised URL).
    if hmac.compare_digest(validator.compute_signature(_called_url(), form), signature):
        return
    url = request.url
    if validator.validate(url, form, signature):
        return
    # Behind a proxy without TRUST_PROXY, the URL Twilio signed is the public one.
    public_url = settings.public_base_url + request.full_path.rstrip("?")
    if public_url != url and validator.validate(public_url, form, signature):
        return
    abort(403)


def _twiml(text: str | None) -> Response:
    if text is None:
        body = _EMPTY_TWIML
    else:
        reply = MessagingResponse()
        reply.message(text)
        body = str(reply)
    return Response(body, mimetype="application/xml")


@bp.post("/sms")
def inbound_sms() -> Response:
    _verify_signature()
    form = request.form
    if not form.get("MessageSid") or not form.get("From"):
        abort(400, "MessageSid and From are required")
    settings: Settings = current_app.config["SETTINGS"]
    outcome = inbox.receive_sms(db.engine, form.to_dict(flat=True), settings)
    if outcome.stored and outcome.needs_processing:
        try:
            inbox.nudge_processing()
        except (redis.RedisError, OSError):
            # Stored is what matters; the tick's sweep will pick the message up.
            log.warning("Redis unavailable; inbound message %s waits for the sweep", outcome.id)
    # A repeated STOP gets no second confirmation: one confirmation text is the rule.
    if outcome.keyword is not None and outcome.stored:
        return _twiml(inbox.confirmation_text(outcome.keyword, settings, outcome.language))
    return _twiml(None)


@bp.post("/status")
def status_callback() -> tuple[str, int]:
    _verify_signature()
    form = request.form
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not status:
        abort(400, "MessageSid and MessageStatus are required")
    message_id = request.args.get("m", type=int)
    with db.session() as session:
        delivery.apply_provider_status(
            session,
            provider_id=sid,
            status=status,
            error_code=form.get("ErrorCode") or None,
            message_id=message_id,
        )
    return "", 204
