"""Twilio webhooks: inbound SMS and message status callbacks.

Each handler verifies ``X-Twilio-Signature``, stores what arrived (once, keyed by MessageSid),
and answers. The reading of a reply happens in a worker: Twilio gives a webhook 15 seconds and
then retries, so the answer must not wait on anything slow.
"""

from __future__ import annotations

import hmac
import logging
from functools import lru_cache
from urllib.parse import urlsplit

import redis
from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from core.config import Settings
from core.db import db
from outreach import delivery, inbox
from outreach.channels.twilio_sms import SANDBOX_ACCOUNT_SID
from webhooks import twilio_params

log = logging.getLogger(__name__)

bp = Blueprint("twilio_webhooks", __name__, url_prefix="/webhooks/twilio")

_EMPTY_TWIML = str(MessagingResponse())


@lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


def called_url() -> str | None:
    """The URL the provider called, which is the URL it signed; None when it cannot be ours.

    It is PUBLIC_BASE_URL, the address we give Twilio, and never the Host a client sent. With
    TRUST_PROXY the proxy's X-Forwarded-Proto/Host/Port (applied by ProxyFix) say how the request
    reached us, and must name that same address: a request signed for https that came in over
    http was not sent by Twilio.
    """
    settings: Settings = current_app.config["SETTINGS"]
    if settings.trust_proxy and _origin(f"{request.scheme}://{request.host}") != _origin(
        settings.public_base_url
    ):
        return None
    query = request.environ.get("QUERY_STRING", "")
    url = settings.public_base_url + request.path
    return f"{url}?{query}" if query else url


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    return parts.scheme, (parts.hostname or "").lower(), port


def _verify_signature() -> None:
    """403 unless Twilio signed exactly this URL and these parameters."""
    settings: Settings = current_app.config["SETTINGS"]
    signature = request.headers.get("X-Twilio-Signature", "")
    url = called_url()
    if not signature or url is None:
        abort(403)
    validator = _validator(settings.twilio_auth_token)
    form = request.form
    # One HMAC over the URL as we give it to Twilio is by far the common case; the SDK's full
    # check also tries it with and without the default port.
    computed = validator.compute_signature(url, form)
    # As bytes: compare_digest refuses str with non-ASCII characters, which a header may carry.
    if hmac.compare_digest(computed.encode(), signature.encode("utf-8", "replace")):
        return
    if not validator.validate(url, form, signature):
        abort(403)


def _expected(settings: Settings) -> twilio_params.Expected:
    return twilio_params.Expected(
        account_sid=settings.twilio_account_sid or SANDBOX_ACCOUNT_SID,
        from_number=settings.twilio_from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
    )


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
    settings: Settings = current_app.config["SETTINGS"]
    try:
        params = twilio_params.inbound_sms(request.form, _expected(settings))
    except twilio_params.BadTwilioRequest as exc:
        abort(exc.status, str(exc))
    outcome = inbox.receive_sms(db.engine, params, settings)
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
    settings: Settings = current_app.config["SETTINGS"]
    try:
        params, message_id = twilio_params.status_callback(
            request.form, request.args, _expected(settings)
        )
    except twilio_params.BadTwilioRequest as exc:
        abort(exc.status, str(exc))
    with db.session() as session:
        delivery.apply_provider_status(
            session,
            provider_id=params["MessageSid"],
            status=params["MessageStatus"],
            error_code=params.get("ErrorCode") or None,
            message_id=message_id,
        )
    return "", 204
