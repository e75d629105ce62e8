"""A local stand-in for Twilio's Messages API and SendGrid's Mail Send, over real HTTP.

The real SDKs talk to it exactly as they talk to the providers. It checks every request against
the providers' official OpenAPI descriptions (``specs/``), records what it accepted, can fail
on purpose, and can play a contractor by posting correctly signed webhooks back to the app.

In tests::

    with Sandbox(auth_token=settings.twilio_auth_token, app_url=app_url) as sandbox:
        ...  # Settings(sandbox_url=sandbox.url) makes TwilioSMS/SendGridEmail send here

For a person running the service (``make run`` starts it)::

    python -m outreach.channels.sandbox --port 5055 --app-url http://127.0.0.1:5000
    curl -s localhost:5055/_sandbox/messages
    curl -s localhost:5055/_sandbox/reply -H 'Content-Type: application/json' \\
        -d '{"from": "+15551234567", "body": "4 - timecard still not approved"}'
    curl -s localhost:5055/_sandbox/email-reply -H 'Content-Type: application/json' \\
        -d '{"from": "rosa@example.com", "text": "2 - badge still not working"}'
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import hmac
import json
import re
import secrets
import signal
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.utils import format_datetime, parseaddr
from functools import cache
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

import phonenumbers
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jsonschema import Draft202012Validator, FormatChecker
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from core.clock import now
from outreach.channels import inbound_parse
from outreach.channels.sendgrid_email import SANDBOX_API_KEY
from outreach.channels.twilio_sms import SANDBOX_ACCOUNT_SID, count_segments

SPEC_DIR = Path(__file__).resolve().parent / "specs"
TWILIO_SPEC = SPEC_DIR / "twilio_api_v2010.json"
MAIL_SPEC = SPEC_DIR / "tsg_mail_v3.json"
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
INBOUND_SMS_PATH = "/webhooks/twilio/sms"
# Twilio's magic test number: what a contractor sees as the sender when none was given.
DEFAULT_SENDER = "+15005550006"
# Twilio gives a webhook 15 s for the whole response.
WEBHOOK_TIMEOUT_SECONDS = 15.0

# Twilio answers validation failures with its own codes; these are the ones a Messages create
# can produce for the fields we send. Anything else gets the generic "bad request" code.
TWILIO_FIELD_ERRORS: dict[tuple[str, str], tuple[int, str]] = {
    ("To", "required"): (21604, "A 'To' phone number is required."),
    ("To", "invalid"): (21211, "Invalid 'To' Phone Number: {value}"),
    ("From", "required"): (21603, "A 'From' phone number is required."),
    ("From", "invalid"): (21212, "Invalid From Number (caller ID): {value}"),
    ("Body", "required"): (21602, "Message body is required."),
    ("Body", "invalid"): (21617, "The concatenated message body exceeds the 1600 character limit."),
    ("StatusCallback", "invalid"): (21609, "Invalid 'StatusCallback': {value}"),
    ("MediaUrl", "invalid"): (21620, "Invalid media URL(s)"),
}
TWILIO_BAD_REQUEST = 70002
# Defaults for injected Twilio failures: code -> (HTTP status, message).
TWILIO_FAULTS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "Invalid 'To' Phone Number"),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
}
TWILIO_CODE_FOR_STATUS = {401: 20003, 429: 20429, 500: 20500, 503: 20503}

# Headers SendGrid sets itself and refuses from callers.
MAIL_RESERVED_HEADERS = frozenset(
    {
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "content-type",
        "content-transfer-encoding",
        "to",
        "from",
        "subject",
        "reply-to",
        "cc",
        "bcc",
    }
)
MAIL_CUSTOM_ARGS_MAX_BYTES = 10_000

E164 = re.compile(r"\+[1-9]\d{1,14}")
CHANNEL_ADDRESS = re.compile(r"[a-z]+:\+?[\w.@-]+")  # whatsapp:+1555..., messenger:123
SHORT_CODE = re.compile(r"\d{3,8}")
ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# --- the official specs, as JSON Schema -------------------------------------------------------


def _pointer(document: Any, ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def openapi_to_json_schema(node: Any, spec: Any, _seen: tuple[str, ...] = ()) -> Any:
    """Inline local ``$ref``s and turn OpenAPI-only keywords into JSON Schema.

    ``nullable: true`` (OpenAPI 3.0) becomes a ``"null"`` type, and Twilio's
    ``x-twilio.ignoreFormat`` drops the format check it marks as not enforced.
    """
    if isinstance(node, list):
        return [openapi_to_json_schema(item, spec, _seen) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in _seen:
            raise ValueError(f"recursive $ref {ref!r} cannot be inlined")
        out.update(openapi_to_json_schema(_pointer(spec, ref), spec, (*_seen, ref)))
    for key, value in node.items():
        if key in {"$ref", "description", "example", "examples", "x-twilio"}:
            continue
        if key in {"properties", "patternProperties"} and isinstance(value, dict):
            out[key] = {k: openapi_to_json_schema(v, spec, _seen) for k, v in value.items()}
        else:
            out[key] = openapi_to_json_schema(value, spec, _seen)
    if out.pop("nullable", False) is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    x_twilio = node.get("x-twilio")
    if isinstance(x_twilio, dict) and x_twilio.get("ignoreFormat"):
        out.pop("format", None)
    return out


def _is_phone_number(value: object) -> bool:
    # Twilio's "phone-number" covers every kind of sender: E.164, channel address, short code,
    # alphanumeric sender ID. Whether a *recipient* is valid is a stricter rule, checked later.
    return not isinstance(value, str) or any(
        p.fullmatch(value) for p in (E164, CHANNEL_ADDRESS, SHORT_CODE, ALPHANUMERIC_SENDER)
    )


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    host = parts.hostname or ""
    return parts.scheme in {"http", "https"} and bool(host) and "_" not in host


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("phone-number")(_is_phone_number)
    checker.checks("uri")(_is_url)
    checker.checks("date-time")(_is_date_time)
    checker.checks("email")(lambda v: not isinstance(v, str) or bool(EMAIL.fullmatch(v)))
    return checker


@dataclass(frozen=True)
class TwilioMessagesSpec:
    request_schema: dict[str, Any]
    response_schema: dict[str, Any]
    validator: Draft202012Validator
    # Each group needs at least one member present, e.g. (From, MessagingServiceSid).
    one_of_groups: tuple[tuple[str, ...], ...]
    account_sid_pattern: re.Pattern[str]


@dataclass(frozen=True)
class MailSendSpec:
    request_schema: dict[str, Any]
    validator: Draft202012Validator


@cache
def twilio_messages_spec() -> TwilioMessagesSpec:
    """The Messages create operation of the official Twilio spec, compiled once per process."""
    spec = json.loads(TWILIO_SPEC.read_text(encoding="utf-8"))
    operation = spec["paths"][MESSAGES_PATH]["post"]
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    request_schema = openapi_to_json_schema(form, spec)
    response_schema = openapi_to_json_schema(
        operation["responses"]["201"]["content"]["application/json"]["schema"], spec
    )
    properties = request_schema["properties"]
    groups = tuple(
        tuple(_pascal(name) for name in group)
        for group in operation.get("x-twilio", {}).get("conditional", [])
    )
    for group in groups:
        unknown = [name for name in group if name not in properties]
        if unknown:
            raise ValueError(f"x-twilio.conditional names unknown parameters {unknown}")
    sid_schema = next(p["schema"] for p in operation["parameters"] if p["name"] == "AccountSid")
    return TwilioMessagesSpec(
        request_schema=request_schema,
        response_schema=response_schema,
        validator=Draft202012Validator(request_schema, format_checker=_format_checker()),
        one_of_groups=groups,
        account_sid_pattern=re.compile(sid_schema["pattern"]),
    )


@cache
def mail_send_spec() -> MailSendSpec:
    """The Mail Send request body of the official SendGrid spec, compiled once per process."""
    spec = json.loads(MAIL_SPEC.read_text(encoding="utf-8"))
    body = spec["paths"]["/v3/mail/send"]["post"]["requestBody"]
    body = _pointer(spec, body["$ref"]) if "$ref" in body else body
    request_schema = openapi_to_json_schema(body["content"]["application/json"]["schema"], spec)
    # The spec types top-level custom_args as a string; the live API takes an object there
    # (as it does per personalization). Accept both rather than reject working requests.
    top_args = request_schema["properties"]["custom_args"]
    request_schema["properties"]["custom_args"] = {"anyOf": [top_args, {"type": "object"}]}
    return MailSendSpec(
        request_schema=request_schema,
        validator=Draft202012Validator(request_schema, format_checker=_format_checker()),
    )


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


@dataclass(frozen=True)
class Problem:
    field: str
    kind: str  # "required" | "invalid"
    message: str


def schema_problems(validator: Draft202012Validator, instance: Any) -> list[Problem]:
    """Every schema violation, named by dotted field path (``personalizations.0.to``)."""
    problems = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.path]):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    field = ".".join([*path, name])
                    problems.append(Problem(field, "required", f"The {field} field is required."))
        else:
            problems.append(Problem(".".join(path), "invalid", error.message))
    return problems


# --- injected faults -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    status: int
    code: int | None
    message: str
    retry_after: float | None


def _json(payload: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload), status=status, mimetype="application/json", headers=headers
    )


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


# --- the Event Webhook's signing key ------------------------------------------------------------

EVENT_WEBHOOK_PATH = "/webhooks/sendgrid/events"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


@cache
def event_key(seed: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key derived from ``seed``, so the app can know the sandbox's public key
    without being told: both derive it from the same development secret."""
    material = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"contractor-pulse sandbox",
        info=b"sendgrid event webhook",
    ).derive(seed.encode())
    scalar = int.from_bytes(material, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def public_key_text(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def sign_events(key: ec.EllipticCurvePrivateKey, timestamp: str, payload: bytes) -> str:
    """ECDSA P-256 / SHA-256 over timestamp + raw body, as SendGrid signs."""
    signature = key.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


def _send(request: urllib.request.Request) -> int:
    return _exchange(request)[0]


def _exchange(request: urllib.request.Request) -> tuple[int, str]:
    """The app's status and body: Twilio texts a TwiML <Message> answer back to the sender."""
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as answer:  # noqa: S310
            return int(answer.status), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code), ""


# --- the server ----------------------------------------------------------------------------------


class Sandbox:
    """Twilio Messages + SendGrid Mail Send on 127.0.0.1, recording what they were sent."""

    def __init__(
        self,
        *,
        auth_token: str,
        app_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = SANDBOX_API_KEY,
        log_requests: bool = False,
        auto_callbacks: bool = False,
        event_key_seed: str | None = None,
        inbound_secret: str | None = None,
    ) -> None:
        """
        Args:
            auto_callbacks: after accepting a message, post what the provider would: signed
                Twilio status callbacks (sent, delivered) and signed SendGrid events
                (processed, delivered) to the app.
            event_key_seed: what the Event Webhook signing key is derived from (default: the
                auth token); the app derives the same public key (see :func:`event_key`).
            inbound_secret: the secret in the app's Inbound Parse URL
                (``SENDGRID_INBOUND_SECRET``); without it the sandbox cannot send email replies.
        """
        self.auth_token = auth_token
        self.inbound_secret = inbound_secret
        self.auto_callbacks = auto_callbacks
        self.event_key = event_key(event_key_seed or auth_token)
        self._latency: dict[str, float] = {"sms": 0.0, "email": 0.0}
        self._in_flight = 0
        self._posters: list[threading.Thread] = []
        self.api_key = api_key
        self.app_url = app_url.rstrip("/") if app_url else None
        self.host = host
        self.port = port
        self.url = ""
        self._log_requests = log_requests
        self._lock = threading.Lock()
        self._sms: list[dict[str, Any]] = []
        self._emails: list[dict[str, Any]] = []
        self._rejected: list[dict[str, Any]] = []
        self._replies: list[dict[str, Any]] = []
        self._faults: dict[str, deque[Fault]] = {"sms": deque(), "email": deque()}
        self._delays: dict[str, deque[float]] = {"sms": deque(), "email": deque()}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._urls = Map(
            [
                Rule(MESSAGES_PATH.replace("{AccountSid}", "<account_sid>"), endpoint="sms"),
                Rule("/v3/mail/send", endpoint="mail"),
                Rule("/_sandbox/messages", endpoint="messages", methods=["GET"]),
                Rule("/_sandbox/reply", endpoint="reply", methods=["POST"]),
                Rule("/_sandbox/email-reply", endpoint="email_reply", methods=["POST"]),
                Rule("/_sandbox/reset", endpoint="reset", methods=["POST"]),
                Rule("/_sandbox/health", endpoint="health", methods=["GET"]),
                Rule("/_sandbox/event-webhook-key", endpoint="event_key", methods=["GET"]),
            ]
        )

    # lifecycle

    def start(self) -> Sandbox:
        twilio_messages_spec()
        mail_send_spec()
        self._server = make_server(
            self.host,
            self.port,
            self._wsgi,
            threaded=True,
            request_handler=None if self._log_requests else _QuietHandler,
        )
        self.url = f"http://{self.host}:{self._server.server_port}"
        # A short poll keeps stop() quick: shutdown() waits for the loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="provider-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        for poster in list(self._posters):
            poster.join(WEBHOOK_TIMEOUT_SECONDS)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # what it saw

    def sms(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._sms]

    def emails(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._emails]

    def rejected(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._rejected]

    def replies(self) -> list[dict[str, Any]]:
        """Inbound webhooks this sandbox posted to the app, with the app's HTTP status."""
        with self._lock:
            return [dict(m) for m in self._replies]

    def reset(self) -> None:
        with self._lock:
            for records in (self._sms, self._emails, self._rejected, self._replies):
                records.clear()
            for faults in self._faults.values():
                faults.clear()
            for delays in self._delays.values():
                delays.clear()

    # failing on purpose

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
        channel: str = "sms",
    ) -> None:
        """Answer the next ``n`` sends on ``channel`` ("sms" or "email") with an error.

        SMS: give a Twilio ``code`` (20429, 21610, 21211, 21614, 20500...) or an HTTP
        ``status``; the other is filled in. Email: give ``status`` (429, 500, 400...).
        ``retry_after`` sets Retry-After (Twilio) or X-RateLimit-Reset (SendGrid).
        """
        if channel not in self._faults:
            raise ValueError(f"channel must be 'sms' or 'email', not {channel!r}")
        if channel == "sms":
            if code is None:
                code = TWILIO_CODE_FOR_STATUS.get(status or 429)
            default_status, message = TWILIO_FAULTS.get(code or 0, (400, "Injected failure"))
            status = status or default_status
        else:
            status = status or 429
            code = None
            message = {429: "too many requests", 500: "internal server error"}.get(
                status, "injected failure"
            )
        fault = Fault(status=status, code=code, message=message, retry_after=retry_after)
        with self._lock:
            self._faults[channel].extend([fault] * n)

    def delay_next(self, n: int = 1, *, seconds: float, channel: str = "sms") -> None:
        """Hold the next ``n`` answers on ``channel`` for ``seconds`` (to provoke timeouts)."""
        with self._lock:
            self._delays[channel].extend([seconds] * n)

    def set_latency(self, seconds: float, *, channel: str = "sms") -> None:
        """Hold every answer on ``channel`` for ``seconds`` until changed (0 to stop)."""
        if channel not in self._latency:
            raise ValueError(f"channel must be 'sms' or 'email', not {channel!r}")
        with self._lock:
            self._latency[channel] = seconds

    def in_flight(self) -> int:
        """Requests held by latency right now: received, not yet recorded nor answered."""
        with self._lock:
            return self._in_flight

    def _take_fault(self, channel: str) -> Fault | None:
        with self._lock:
            delay = (
                self._delays[channel].popleft() if self._delays[channel] else self._latency[channel]
            )
            fault = self._faults[channel].popleft() if self._faults[channel] else None
        if delay:
            with self._lock:
                self._in_flight += 1
            try:
                time.sleep(delay)
            finally:
                with self._lock:
                    self._in_flight -= 1
        return fault

    # playing a contractor

    def reply(
        self, from_: str, body: str, to: str | None = None, message_sid: str | None = None
    ) -> int:
        """Text the app as a contractor would: a signed inbound-SMS webhook. Returns its status."""
        return self._reply(from_, body, to, message_sid)[0]

    def email_reply(
        self,
        from_: str,
        text: str,
        *,
        to: str | None = None,
        subject: str | None = None,
        in_reply_to: str | None = None,
        quote: bool | None = None,
    ) -> int:
        """Email the app as a contractor would: an Inbound Parse post (parsed mode) of a
        Gmail-style reply. Returns the app's HTTP status.

        By default it answers the last email this sandbox accepted for ``from_``: sent to that
        email's reply-to address, "Re: " its subject, In-Reply-To its Message-ID, and quoting
        it below the reply (``quote=False`` leaves the quote out).

        Raises:
            LookupError: no ``to`` was given and no email to ``from_`` was accepted, or
                ``quote=True`` with nothing to quote.
        """
        return self._email_reply(from_, text, to, subject, in_reply_to, quote)[0]

    def status_callback(
        self, sid: str, status: str = "delivered", error_code: int | None = None
    ) -> int:
        """Post a signed status callback for an accepted SMS to its StatusCallback URL."""
        with self._lock:
            sent = next((m for m in self._sms if m["sid"] == sid), None)
        if sent is None or not sent["status_callback"]:
            raise LookupError(f"no accepted SMS {sid} with a status callback")
        params = {
            "AccountSid": sent["account_sid"],
            "ApiVersion": "2010-04-01",
            "From": sent["from"],
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": sent["to"],
        }
        if sent["messaging_service_sid"]:
            params["MessagingServiceSid"] = sent["messaging_service_sid"]
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self._post_signed(sent["status_callback"], params)[0]

    @property
    def event_public_key(self) -> str:
        """The Event Webhook verification key, as SendGrid shows it (base64 DER)."""
        return public_key_text(self.event_key)

    def email_event(self, message_id: str, event: str, **fields: Any) -> int:
        """Post one signed SendGrid event about an accepted email (by its X-Message-Id).

        ``fields`` add to or replace the event's keys (``reason``, ``type``, ``sg_event_id``).
        Returns the app's HTTP status.
        """
        return self.post_events([{**self.event(message_id, event), **fields}])

    def post_events(
        self,
        events: list[dict[str, Any]],
        *,
        signature: str | None = None,
        timestamp: str | None = None,
        body: bytes | None = None,
    ) -> int:
        """POST events to the app's Event Webhook, signed with this sandbox's key unless a
        ``signature`` (or ``timestamp``, or raw ``body``) is given to forge one."""
        if not self.app_url:
            raise RuntimeError("this sandbox was started without app_url: nowhere to post")
        payload = body if body is not None else json.dumps(events).encode()
        stamp = timestamp or str(int(now().timestamp()))
        if signature is None:
            signature = sign_events(self.event_key, stamp, payload)
        request = urllib.request.Request(  # noqa: S310 - the URL is the app's, from our caller
            self.app_url + EVENT_WEBHOOK_PATH,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "SendGrid Event API",
                SIGNATURE_HEADER: signature,
                TIMESTAMP_HEADER: stamp,
            },
        )
        return _send(request)

    def event(self, message_id: str, event: str) -> dict[str, Any]:
        """A SendGrid event about an accepted email, as SendGrid would post it (unsigned)."""
        with self._lock:
            sent = next((m for m in self._emails if m["message_id"] == message_id), None)
        if sent is None:
            raise LookupError(f"no accepted email {message_id}")
        extra: dict[str, Any] = {
            "processed": {},
            "delivered": {"response": "250 2.0.0 OK", "ip": "127.0.0.1"},
            "bounce": {"reason": "550 5.1.1 The email account does not exist", "type": "bounce"},
            "dropped": {"reason": "Bounced Address"},
        }.get(event, {})
        return {
            **sent["custom_args"],
            "email": sent["to"],
            "timestamp": int(now().timestamp()),
            "event": event,
            "sg_event_id": base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("="),
            "sg_message_id": f"{message_id}.filterdrecv-sandbox-1-{secrets.token_hex(4)}-0",
            "smtp-id": f"<{message_id}@sandbox.sendgrid.net>",
            **extra,
        }

    def _post_later(self, job: Any, key: str) -> None:
        poster = threading.Thread(target=self._quietly, args=(job, key), daemon=True)
        with self._lock:
            self._posters = [p for p in self._posters if p.is_alive()] + [poster]
        poster.start()

    def _quietly(self, job: Any, key: str) -> None:
        # What a provider posts after the fact is best effort: it never fails a send.
        with contextlib.suppress(OSError, LookupError):
            job(key)

    def _callbacks_for(self, sid: str) -> None:
        for status in ("sent", "delivered"):
            self.status_callback(sid, status)

    def _events_for(self, message_id: str) -> None:
        self.post_events([self.event(message_id, e) for e in ("processed", "delivered")])

    def _reply(
        self, from_: str, body: str, to: str | None, message_sid: str | None
    ) -> tuple[int, dict[str, str]]:
        if not self.app_url:
            raise RuntimeError("this sandbox was started without app_url: nowhere to reply to")
        with self._lock:
            last = next((m for m in reversed(self._sms) if m["to"] == from_), None)
        sid = message_sid or "SM" + secrets.token_hex(16)
        params = {
            "AccountSid": last["account_sid"] if last else SANDBOX_ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "Body": body,
            "From": from_,
            "FromCity": "",
            "FromCountry": _country(from_),
            "FromState": "",
            "FromZip": "",
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": str(count_segments(body)),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to or (last["from"] if last else DEFAULT_SENDER),
            "ToCity": "",
            "ToState": "",
            "ToZip": "",
        }
        params["ToCountry"] = _country(params["To"])
        if last and last["messaging_service_sid"]:
            params["MessagingServiceSid"] = last["messaging_service_sid"]
        status, answer = self._post_signed(self.app_url + INBOUND_SMS_PATH, params)
        with self._lock:
            self._replies.append(
                {
                    "sid": sid,
                    "status": status,
                    "params": params,
                    "received_at": _epoch(),
                    "answer": answer,
                }
            )
        return status, params

    def _email_reply(
        self,
        from_: str,
        text: str,
        to: str | None,
        subject: str | None,
        in_reply_to: str | None,
        quote: bool | None,
    ) -> tuple[int, dict[str, Any]]:
        if not self.app_url:
            raise RuntimeError("this sandbox was started without app_url: nowhere to reply to")
        if not self.inbound_secret:
            raise RuntimeError("this sandbox was started without inbound_secret")
        address = parseaddr(from_)[1].lower()
        with self._lock:
            last = next(
                (
                    m
                    for m in reversed(self._emails)
                    if address in (r.lower() for r in m["recipients"])
                ),
                None,
            )
        if last is None and (to is None or quote):
            raise LookupError(f"no accepted email to {address} to reply to")
        original = None
        if last is not None and quote is not False:
            original = inbound_parse.Original(
                name=last["from_name"],
                address=last["from"],
                sent_at=datetime.fromtimestamp(last["received_at"], now().tzinfo),
                text=last["text"] or "",
            )
        if to is None:
            assert last is not None
            to = last["reply_to"] or last["from"]
            if last["from_name"]:
                to = str(Address(display_name=last["from_name"], addr_spec=to))
        if subject is None:
            original_subject = last["subject"] if last else ""
            subject = "Re: " + original_subject if original_subject else ""
        if in_reply_to is None and last is not None:
            in_reply_to = last["headers"].get("Message-ID")
        reply = inbound_parse.gmail_reply(
            sender=from_,
            to=to,
            subject=subject,
            text=text,
            sent_at=now(),
            in_reply_to=in_reply_to,
            quoted=original,
        )
        body, content_type = inbound_parse.encode(inbound_parse.fields(reply.as_bytes()))
        request = urllib.request.Request(  # noqa: S310 - the URL is the app's, from our caller
            self.app_url + inbound_parse.INBOUND_PATH + self.inbound_secret,
            data=body,
            method="POST",
            headers={"Content-Type": content_type, "User-Agent": "Sendlib/1.0"},
        )
        status = _send(request)
        record = {
            "channel": "email",
            "message_id": str(reply["Message-ID"]),
            "status": status,
            "from": from_,
            "to": to,
            "subject": subject,
            "in_reply_to": in_reply_to,
            "text": text,
            "quoted": original is not None,
            "received_at": _epoch(),
        }
        with self._lock:
            self._replies.append(record)
        return status, record

    def _post_signed(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        request = urllib.request.Request(  # noqa: S310 - the URL is the app's, from our caller
            url,
            data=urlencode(params).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "User-Agent": "TwilioProxy/1.1",
                "X-Twilio-Signature": signature,
                "I-Twilio-Idempotency-Token": secrets.token_hex(16),
            },
        )
        return _exchange(request)

    # HTTP

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        request = Request(environ)
        adapter = self._urls.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            response = getattr(self, f"_on_{endpoint}")(request, **args)
        except HTTPException as exc:
            status = exc.code or 500
            response = _twilio_error(status, 20404 if status == 404 else None, str(exc.description))
        return response(environ, start_response)

    def _on_event_key(self, request: Request) -> Response:
        return _json({"public_key": self.event_public_key}, 200)

    def _on_health(self, request: Request) -> Response:
        return _json({"status": "ok"}, 200)

    def _on_messages(self, request: Request) -> Response:
        with self._lock:
            payload = {
                "sms": list(self._sms),
                "emails": list(self._emails),
                "replies": list(self._replies),
                "rejected": list(self._rejected),
            }
        return _json(payload, 200)

    def _on_reset(self, request: Request) -> Response:
        self.reset()
        return _json({"status": "ok"}, 200)

    def _on_reply(self, request: Request) -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _json({"error": 'send a JSON object: {"from": ..., "body": ...}'}, 400)
        for name in ("from", "body"):
            if not isinstance(data.get(name), str) or not data[name]:
                return _json({"error": f"'{name}' is required and must be a string"}, 400)
        for name in ("to", "message_sid"):
            if data.get(name) is not None and not isinstance(data[name], str):
                return _json({"error": f"'{name}' must be a string"}, 400)
        if not self.app_url:
            return _json({"error": "the sandbox was started without --app-url"}, 409)
        try:
            status, params = self._reply(
                data["from"], data["body"], data.get("to"), data.get("message_sid")
            )
        except OSError as exc:
            return _json({"error": f"the app did not answer: {exc}"}, 502)
        return _json({"status": status, "message_sid": params["MessageSid"]}, 200)

    def _on_email_reply(self, request: Request) -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _json({"error": 'send a JSON object: {"from": ..., "text": ...}'}, 400)
        for name in ("from", "text"):
            if not isinstance(data.get(name), str) or not data[name]:
                return _json({"error": f"'{name}' is required and must be a string"}, 400)
        for name in ("to", "subject", "in_reply_to"):
            if data.get(name) is not None and not isinstance(data[name], str):
                return _json({"error": f"'{name}' must be a string"}, 400)
        if data.get("quote") is not None and not isinstance(data["quote"], bool):
            return _json({"error": "'quote' must be true or false"}, 400)
        if not self.app_url or not self.inbound_secret:
            return _json({"error": "the sandbox was started without --app-url or a secret"}, 409)
        try:
            status, record = self._email_reply(
                data["from"],
                data["text"],
                data.get("to"),
                data.get("subject"),
                data.get("in_reply_to"),
                data.get("quote"),
            )
        except LookupError as exc:
            return _json({"error": f"{exc}; give 'to'"}, 404)
        except OSError as exc:
            return _json({"error": f"the app did not answer: {exc}"}, 502)
        return _json({"status": status, "message_id": record["message_id"]}, 200)

    # Twilio: POST /2010-04-01/Accounts/{AccountSid}/Messages.json

    def _on_sms(self, request: Request, account_sid: str) -> Response:
        arrived = time.time()  # wall clock, for pacing checks: not the app's time seam
        spec = twilio_messages_spec()
        if request.method not in ("POST", "GET"):
            return _twilio_error(405, 20004, "Method not allowed")
        if not spec.account_sid_pattern.fullmatch(account_sid):
            return _twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or not hmac.compare_digest(str(auth.username), account_sid)
            or not hmac.compare_digest(str(auth.password).encode(), self.auth_token.encode())
        ):
            return self._reject_sms(
                request, _twilio_error(401, 20003, "Authenticate"), "Authenticate"
            )
        if request.method == "GET":
            return self._list_sms(request, account_sid)
        return self._create_sms(request, account_sid, arrived)

    def _create_sms(self, request: Request, account_sid: str, arrived: float) -> Response:
        fault = self._take_fault("sms")
        if fault is not None:
            headers = {"Retry-After": _seconds(fault.retry_after)} if fault.retry_after else None
            error = _twilio_error(fault.status, fault.code, fault.message, headers)
            return self._reject_sms(request, error, f"injected: {fault.message}")
        problem = self._sms_problem(request.form)
        if problem is not None:
            code, template = TWILIO_FIELD_ERRORS.get(
                (problem.field, problem.kind), (TWILIO_BAD_REQUEST, "{field}: {message}")
            )
            value = request.form.get(problem.field, "")
            text = template.format(value=value, field=problem.field, message=problem.message)
            return self._reject_sms(
                request,
                _twilio_error(400, code, text),
                f"{problem.field}: {problem.message}",
                field=problem.field,
            )
        return self._accept_sms(request.form, account_sid, arrived)

    def _sms_problem(self, form: MultiDict[str, str]) -> Problem | None:
        spec = twilio_messages_spec()
        document = _coerce_form(form, spec.request_schema)
        problems = schema_problems(spec.validator, document)
        if problems:
            first = problems[0]
            return Problem(first.field.split(".")[0], first.kind, first.message)
        for group in spec.one_of_groups:
            if not any(document.get(name) for name in group):
                names = " or ".join(group)
                return Problem(group[0], "required", f"one of {names} is required")
        # Beyond the schema, as the live API does: a recipient is a number or channel address,
        # and a body longer than 1600 characters is refused, not split.
        to = document["To"]
        if not (E164.fullmatch(to) or CHANNEL_ADDRESS.fullmatch(to)):
            return Problem("To", "invalid", f"{to!r} is not an E.164 number")
        if len(document.get("Body") or "") > 1600:
            return Problem("Body", "invalid", "longer than 1600 characters")
        return None

    def _accept_sms(self, form: MultiDict[str, str], account_sid: str, arrived: float) -> Response:
        sid = "SM" + secrets.token_hex(16)
        service = form.get("MessagingServiceSid") or None
        sender = form.get("From") or None
        body = form.get("Body", "")
        # Through a Messaging Service with no From, Twilio picks a sender later: "accepted".
        status = "accepted" if service and not sender else "queued"
        segments = count_segments(body)
        media = form.getlist("MediaUrl")
        created = format_datetime(now())
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"
        record: dict[str, Any] = {
            "sid": sid,
            "account_sid": account_sid,
            "to": form["To"],
            "from": sender or DEFAULT_SENDER,
            "body": body,
            "status": status,
            "status_callback": form.get("StatusCallback") or None,
            "messaging_service_sid": service,
            "num_segments": segments,
            "num_media": len(media),
            "params": {key: form.getlist(key) if key == "MediaUrl" else form[key] for key in form},
            "received_at": _epoch(),
            "arrived_at": arrived,
        }
        payload = {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": str(len(media)),
            "num_segments": str(segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": status,
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
            "to": form["To"],
            "uri": uri,
        }
        record["resource"] = payload
        with self._lock:
            self._sms.append(record)
        if self.auto_callbacks and record["status_callback"]:
            self._post_later(self._callbacks_for, sid)
        return _json(payload, 201)

    def _list_sms(self, request: Request, account_sid: str) -> Response:
        """GET Messages.json: what the SDK's ``messages.list/stream`` asks, newest first."""
        allowed = {"To", "From", "DateSent", "DateSent<", "DateSent>", "PageSize", "Page"}
        allowed |= {"PageToken"}
        unknown = sorted(set(request.args) - allowed)
        if unknown:
            return _twilio_error(400, TWILIO_BAD_REQUEST, f"unknown parameters {unknown}")
        to, sender = request.args.get("To"), request.args.get("From")
        try:
            page_size = min(max(int(request.args.get("PageSize", "50")), 1), 1000)
        except ValueError:
            return _twilio_error(400, TWILIO_BAD_REQUEST, "PageSize must be a whole number")
        with self._lock:
            found = [
                m["resource"]
                for m in reversed(self._sms)
                if m["account_sid"] == account_sid
                and (to is None or m["to"] == to)
                and (sender is None or m["from"] == sender)
            ]
        uri = request.full_path.rstrip("?")
        page = {
            "messages": found[:page_size],
            "end": max(min(len(found), page_size) - 1, 0),
            "first_page_uri": uri,
            "next_page_uri": None,  # one page is all a lookup needs
            "page": 0,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }
        return _json(page, 200)

    def _reject_sms(
        self, request: Request, response: Response, reason: str, field: str | None = None
    ) -> Response:
        error = json.loads(response.get_data())
        with self._lock:
            self._rejected.append(
                {
                    "api": "twilio",
                    "status": response.status_code,
                    "code": error.get("code"),
                    "field": field,
                    "reason": reason,
                    "params": request.form.to_dict(),
                    "received_at": _epoch(),
                }
            )
        return response

    # SendGrid: POST /v3/mail/send

    def _on_mail(self, request: Request) -> Response:
        if request.method != "POST":
            return _mail_error(405, "method not allowed", None)
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            key.encode(), self.api_key.encode()
        ):
            message = "The provided authorization grant is invalid, expired, or revoked"
            return self._reject_mail(_mail_error(401, message, None), message, None, None)
        fault = self._take_fault("email")
        if fault is not None:
            headers = None
            if fault.status == 429:
                reset = int(now().timestamp() + (fault.retry_after or 1))
                headers = {
                    "X-RateLimit-Limit": "600",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(reset),
                }
            error = _mail_error(fault.status, fault.message, None, headers)
            return self._reject_mail(error, f"injected: {fault.message}", None, None)
        raw = request.get_data()
        try:
            if request.headers.get("Content-Encoding", "").lower() == "gzip":
                raw = gzip.decompress(raw)
            document = json.loads(raw)
        except (OSError, ValueError) as exc:
            return self._reject_mail(
                _mail_error(400, "Bad Request", None), f"not JSON: {exc}", None, None
            )
        problems = schema_problems(mail_send_spec().validator, document) or _mail_rule_problems(
            document
        )
        if problems:
            errors = [
                {"message": p.message, "field": p.field or None, "help": None} for p in problems
            ]
            response = _json({"errors": errors}, 400)
            reason = "; ".join(f"{p.field}: {p.message}" for p in problems)
            return self._reject_mail(response, reason, problems[0].field, document)
        return self._accept_mail(document)

    def _accept_mail(self, document: dict[str, Any]) -> Response:
        message_id = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
        first = document["personalizations"][0]
        content = {block["type"]: block["value"] for block in document.get("content", [])}
        top_args = document.get("custom_args")
        record = {
            "message_id": message_id,
            "to": first["to"][0]["email"],
            "recipients": [
                to["email"] for p in document["personalizations"] for to in p.get("to", [])
            ],
            "from": document["from"]["email"],
            "from_name": document["from"].get("name"),
            "subject": first.get("subject") or document.get("subject"),
            "text": content.get("text/plain"),
            "html": content.get("text/html"),
            "reply_to": (document.get("reply_to") or {}).get("email"),
            "headers": {**document.get("headers", {}), **first.get("headers", {})},
            # SendGrid merges top-level args under each personalization's own.
            "custom_args": {
                **(top_args if isinstance(top_args, dict) else {}),
                **first.get("custom_args", {}),
            },
            "personalizations": document["personalizations"],
            "received_at": _epoch(),
        }
        with self._lock:
            self._emails.append(record)
        if self.auto_callbacks and self.app_url:
            self._post_later(self._events_for, message_id)
        return Response(b"", status=202, headers={"X-Message-Id": message_id})

    def _reject_mail(
        self, response: Response, reason: str, field: str | None, document: Any
    ) -> Response:
        with self._lock:
            self._rejected.append(
                {
                    "api": "sendgrid",
                    "status": response.status_code,
                    "code": None,
                    "field": field,
                    "reason": reason,
                    "body": document,
                    "received_at": _epoch(),
                }
            )
        return response


def _mail_rule_problems(document: dict[str, Any]) -> list[Problem]:
    """Rules the live Mail Send enforces that its OpenAPI description does not express."""
    problems = []
    personalizations = document["personalizations"]
    templated = bool(document.get("template_id"))
    if not personalizations:
        problems.append(
            Problem("personalizations", "required", "At least one personalization is required.")
        )
    for i, p in enumerate(personalizations):
        if not p.get("to"):
            problems.append(
                Problem(
                    f"personalizations.{i}.to",
                    "required",
                    "The to array is required for all personalization objects, and must have at "
                    "least one email object with a valid email address.",
                )
            )
    if (
        not templated
        and not document.get("subject")
        and not all(p.get("subject") for p in personalizations)
    ):
        problems.append(
            Problem(
                "subject",
                "required",
                "The subject is required. You can get around this requirement if you use a "
                "template with a subject defined or if every personalization has a subject "
                "defined.",
            )
        )
    content = document.get("content") or []
    if not templated and not content:
        problems.append(
            Problem(
                "content",
                "required",
                "Unless a valid template_id is provided, the content parameter is required.",
            )
        )
    types = [block["type"] for block in content]
    if "text/plain" in types and types.index("text/plain") != 0:
        problems.append(
            Problem(
                f"content.{types.index('text/plain')}.type",
                "invalid",
                "If present, text/plain content must be first, followed by text/html.",
            )
        )
    scopes = [("", document)] + [
        (f"personalizations.{i}.", p) for i, p in enumerate(personalizations)
    ]
    args_size = 0
    for prefix, scope in scopes:
        args = scope.get("custom_args")
        if isinstance(args, dict):
            bad = [k for k, v in args.items() if not isinstance(v, str)]
            if bad:
                problems.append(
                    Problem(
                        f"{prefix}custom_args",
                        "invalid",
                        f"Custom arg values must be strings: {bad}",
                    )
                )
            args_size += len(json.dumps(args).encode())
        headers = scope.get("headers") or {}
        reserved = sorted(h for h in headers if h.lower() in MAIL_RESERVED_HEADERS)
        if reserved:
            problems.append(
                Problem(
                    f"{prefix}headers",
                    "invalid",
                    f"These headers are reserved and may not be set: {reserved}",
                )
            )
        not_text = sorted(h for h, v in headers.items() if not isinstance(v, str))
        if not_text:
            problems.append(
                Problem(f"{prefix}headers", "invalid", f"Header values must be strings: {not_text}")
            )
    if args_size > MAIL_CUSTOM_ARGS_MAX_BYTES:
        problems.append(
            Problem("custom_args", "invalid", f"custom_args total {args_size} bytes, over 10,000")
        )
    return problems


def _coerce_form(form: MultiDict[str, str], schema: dict[str, Any]) -> dict[str, Any]:
    """Form fields are all text; give each the JSON type the schema declares, where it parses.

    A value that does not parse stays text, so the schema reports it with the field's name.
    """
    document: dict[str, Any] = {}
    properties = schema.get("properties", {})
    for name in form:
        values = form.getlist(name)
        prop = properties.get(name, {})
        if prop.get("type") == "array":
            items = prop.get("items", {})
            document[name] = [_coerce(value, items) for value in values]
        else:
            document[name] = _coerce(values[-1], prop)
    return document


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "number" in kinds:
        try:
            return float(value)
        except ValueError:
            return value
    if "boolean" in kinds and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return value


def _twilio_error(
    status: int, code: int | None, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    payload = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return _json(payload, status, headers)


def _mail_error(
    status: int, message: str, field: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    return _json({"errors": [{"message": message, "field": field, "help": None}]}, status, headers)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _country(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ""
    # Test numbers such as +1555... belong to no region, but the country code still tells.
    region = phonenumbers.region_code_for_number(parsed) or (
        phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    )
    return "" if region == phonenumbers.UNKNOWN_REGION else region


def _epoch() -> float:
    return now().timestamp()


# --- python -m outreach.channels.sandbox -------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    from core.config import Settings

    settings = Settings.from_env()
    parser = argparse.ArgumentParser(
        prog="python -m outreach.channels.sandbox",
        description="Local stand-in for Twilio Messages and SendGrid Mail Send.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=urlsplit(settings.sandbox_url).port or 5055)
    parser.add_argument(
        "--app-url", default=settings.public_base_url, help="where replies are posted"
    )
    args = parser.parse_args(argv)
    sandbox = Sandbox(
        auth_token=settings.twilio_auth_token,
        app_url=args.app_url,
        host=args.host,
        port=args.port,
        log_requests=True,
        auto_callbacks=True,
        inbound_secret=settings.sendgrid_inbound_secret,
    )
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sandbox.start()
    print(
        f"provider sandbox (Twilio + SendGrid) on {sandbox.url}; replies go to {args.app_url}"
        f"{INBOUND_SMS_PATH}",
        flush=True,
    )
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
