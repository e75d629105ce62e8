"""SendGrid's Mail Send as the SDK calls it (validated against the official spec and the
rules the live API adds), and the signed Event Webhook posts that follow an accepted email."""

from __future__ import annotations

import base64
import gzip
import hmac
import json
import secrets
import urllib.request
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.wrappers import Request, Response

from core.clock import now
from outreach.channels.sendgrid_email import public_key_text
from sandbox.base import epoch, json_response, send
from sandbox.faults import Faults
from sandbox.specs import Problem, mail_send_spec, schema_problems

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

EVENT_WEBHOOK_PATH = "/webhooks/sendgrid/events"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def sign_events(key: ec.EllipticCurvePrivateKey, timestamp: str, payload: bytes) -> str:
    """ECDSA P-256 / SHA-256 over timestamp + raw body, as SendGrid signs."""
    signature = key.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


class SendGridAPI(Faults):
    """POST /v3/mail/send, and Event Webhook posts about what it accepted."""

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
        return send(request)

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

    def _events_for(self, message_id: str) -> None:
        self.post_events([self.event(message_id, e) for e in ("processed", "delivered")])

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
            response = json_response({"errors": errors}, 400)
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
            "received_at": epoch(),
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
                    "received_at": epoch(),
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
    return problems + _scope_problems(document)


def _scope_problems(document: dict[str, Any]) -> list[Problem]:
    """Custom args and headers, at the top and in each personalization."""
    problems = []
    personalizations = document["personalizations"]
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


def _mail_error(
    status: int, message: str, field: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response(
        {"errors": [{"message": message, "field": field, "help": None}]}, status, headers
    )
