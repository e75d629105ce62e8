"""Provider webhooks as the providers post them, signed with the test settings' secrets."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from core.clock import now
from core.config import Settings
from outreach.channels.twilio_sms import SANDBOX_ACCOUNT_SID
from sandbox import event_key, sign_events
from sandbox.sendgrid_api import SIGNATURE_HEADER, TIMESTAMP_HEADER

SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
EVENTS_PATH = "/webhooks/sendgrid/events"
CONTRACTOR_PHONE = "+14155550101"


def message_sid() -> str:
    return "SM" + secrets.token_hex(16)


def inbound_sms(
    body: str, *, sid: str | None = None, from_: str = CONTRACTOR_PHONE
) -> dict[str, str]:
    """Every parameter Twilio posts for one inbound SMS to our number."""
    sid = sid or message_sid()
    return {
        "AccountSid": SANDBOX_ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": from_,
        "FromCity": "SAN FRANCISCO",
        "FromCountry": "US",
        "FromState": "CA",
        "FromZip": "94105",
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": "+15005550006",
        "ToCity": "",
        "ToCountry": "US",
        "ToState": "",
        "ToZip": "",
    }


def status_params(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    params = {
        "AccountSid": SANDBOX_ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": "+15005550006",
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": CONTRACTOR_PHONE,
    }
    if error_code is not None:
        params["ErrorCode"] = error_code
    return params


def twilio_signature(settings: Settings, url: str, params: Mapping[str, str]) -> str:
    return str(RequestValidator(settings.twilio_auth_token).compute_signature(url, dict(params)))


def post_twilio(
    client: FlaskClient,
    settings: Settings,
    path: str,
    params: Mapping[str, str] | list[tuple[str, str]],
    *,
    query: str = "",
    signed_url: str | None = None,
    headers: Mapping[str, str] | None = None,
    base_url: str | None = None,
    signature: str | None = None,
) -> TestResponse:
    """POST ``params`` form-encoded, signed as Twilio signs: over ``signed_url`` (default:
    PUBLIC_BASE_URL, the path and the query) and the parameters."""
    url = signed_url or settings.public_base_url + path + (f"?{query}" if query else "")
    pairs = list(params.items()) if isinstance(params, Mapping) else params
    validator = RequestValidator(settings.twilio_auth_token)
    if signature is None:
        signature = validator.compute_signature(url, MultiDict(pairs))
    extra: dict[str, Any] = {"base_url": base_url} if base_url else {}
    return client.post(
        path + (f"?{query}" if query else ""),
        data=urlencode(pairs),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature, **(headers or {})},
        **extra,
    )


def resplits(params: Mapping[str, str]) -> list[dict[str, str]]:
    """Every parameter set that signs exactly like ``params`` by one parameter swallowing the
    one after it (Twilio concatenates name and value with no separator)."""
    names = sorted(params)
    variants = []
    for first, second in pairwise(names):
        variant = {k: v for k, v in params.items() if k != second}
        variant[first] = params[first] + second + params[second]
        variants.append(variant)
    return variants


def signed_string(url: str, params: Mapping[str, str]) -> str:
    return url + "".join(name + params[name] for name in sorted(params))


def post_events(
    client: FlaskClient,
    settings: Settings,
    body: bytes,
    stamp: str | None = None,
    signature: str | None = None,
) -> TestResponse:
    """POST a raw Event Webhook body signed as SendGrid signs it, with the sandbox's key (the
    key the app derives in development and tests)."""
    stamp = stamp if stamp is not None else str(int(now().timestamp()))
    if signature is None:
        signature = sign_events(event_key(settings.twilio_auth_token), stamp, body)
    return client.post(
        EVENTS_PATH,
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: stamp},
    )
