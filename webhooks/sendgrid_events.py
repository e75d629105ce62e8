"""SendGrid's signed Event Webhook: delivered, bounce, dropped, spam report, unsubscribe...

SendGrid signs ``timestamp + raw body`` with ECDSA P-256 / SHA-256. The signature is checked
with the SDK's own verifier over the exact bytes received; the timestamp must be within
EVENT_TOLERANCE of our clock, so a captured request cannot be replayed later. Anything that
fails either check gets 403 and changes nothing.
"""

from __future__ import annotations

import binascii
import json
import logging
from datetime import timedelta
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from flask import Blueprint, abort, current_app, request
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader

from core.clock import now
from core.config import Settings
from core.db import db
from outreach.channels.sendgrid_email import public_key_text, sandbox_event_key
from outreach.email_events import EventError, apply_events, parse_events

log = logging.getLogger(__name__)

bp = Blueprint("sendgrid_events_webhooks", __name__, url_prefix="/webhooks/sendgrid")

EVENT_TOLERANCE = timedelta(minutes=5)
MAX_STAMP_DIGITS = 12  # seconds until the year 33658


@lru_cache(maxsize=4)
def _key(public_key: str) -> EllipticCurvePublicKey | None:
    try:
        key = EventWebhook().convert_public_key_to_ecdsa(public_key)
    except ValueError:
        log.error("SENDGRID_EVENT_PUBLIC_KEY is not a valid public key: every event is refused")
        return None
    return key if isinstance(key, EllipticCurvePublicKey) else None


def verification_key(settings: Settings) -> EllipticCurvePublicKey | None:
    """The configured key; in development against the sandbox, the sandbox's derived key.

    With real SendGrid credentials and no key configured, nothing verifies: every event is
    refused rather than trusted.
    """
    if settings.sendgrid_event_public_key:
        return _key(settings.sendgrid_event_public_key)
    if settings.uses_sendgrid_sandbox and settings.is_development:
        return _key(public_key_text(sandbox_event_key(settings.twilio_auth_token)))
    return None


def _verified_body() -> bytes:
    """The raw body, if SendGrid signed it within the tolerance; 403 otherwise.

    The signature covers the timestamp and the body run together, so the timestamp must be
    plain ASCII digits (a body starts with "["): no digit can move between the two.
    """
    settings: Settings = current_app.config["SETTINGS"]
    key = verification_key(settings)
    signature = request.headers.get(EventWebhookHeader.SIGNATURE, "")
    stamp = request.headers.get(EventWebhookHeader.TIMESTAMP, "")
    if key is None or not signature or not stamp:
        abort(403)
    body = request.get_data(cache=False)
    try:
        text = body.decode("utf-8")
        valid = EventWebhook().verify_signature(text, signature, stamp, key)
    except (UnicodeError, binascii.Error, ValueError):
        valid = False
    if not valid:
        abort(403)
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= MAX_STAMP_DIGITS):
        abort(400, f"{EventWebhookHeader.TIMESTAMP}: not a Unix time in seconds")
    if abs(now().timestamp() - int(stamp)) > EVENT_TOLERANCE.total_seconds():
        abort(403)  # signed, but too old (or from the future): a replay
    return body


@bp.post("/events")
def events() -> tuple[str, int]:
    body = _verified_body()
    try:
        batch = parse_events(json.loads(body))
    except RecursionError:
        abort(400, "body: nested too deeply to be SendGrid's events")
    except (ValueError, EventError) as exc:
        # Signed but malformed: SendGrid would retry a 5xx forever, so say 400 and why.
        abort(400, str(exc))
    with db.session() as session:
        outcome = apply_events(session, batch)
    for reason in outcome.ignored:
        log.info("sendgrid event ignored: %s", reason)
    return "", 204
