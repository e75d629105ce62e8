"""Email through SendGrid's Mail Send API, with the real ``sendgrid`` SDK.

With no SENDGRID_API_KEY configured the SDK is pointed at the local sandbox. The SDK speaks
urllib, so errors arrive as ``python_http_client`` HTTPErrors or plain urllib/socket errors.
"""

from __future__ import annotations

import base64
import html
import http.client
import json
import re
import urllib.error
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    CustomArg,
    From,
    Header,
    HtmlContent,
    Mail,
    Personalization,
    PlainTextContent,
    ReplyTo,
    To,
)

from core.clock import now
from core.config import Settings
from outreach.channels import ChannelError, Failure, OutboundMessage, SendResult

# What SendGrid's HTTP statuses mean for us; anything else 4xx is REJECTED.
# https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send#responses
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RECIPIENT_FIELD = re.compile(r"personalizations\.\d+\.to\.\d+\.email")

# The sandbox accepts exactly this key; real keys come from SENDGRID_API_KEY.
SANDBOX_API_KEY = "SG.sandbox-key.contractor-pulse-local-stand-in"

REQUEST_TIMEOUT_SECONDS = 10.0

_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


@cache
def sandbox_event_key(seed: str) -> ec.EllipticCurvePrivateKey:
    """The P-256 key the sandbox signs its Event Webhook posts with, derived from ``seed``.

    It lives here, not in the sandbox, so that the app in development knows the sandbox's
    public key without importing the sandbox or being told: both derive it from the same
    development secret.
    """
    material = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"contractor-pulse sandbox",
        info=b"sendgrid event webhook",
    ).derive(seed.encode())
    scalar = int.from_bytes(material, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def public_key_text(key: ec.EllipticCurvePrivateKey) -> str:
    """A public key as SendGrid shows its verification key: base64 DER."""
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def failure_for(status: int, errors: list[dict[str, Any]] | None = None) -> Failure:
    """Classify a Mail Send error by HTTP status, and by the failing field for a 400."""
    if status in RETRY_STATUSES or status >= 500:
        return Failure.RETRY
    fields = [str(e.get("field") or "") for e in errors or []]
    # A recipient address SendGrid cannot parse will never work: mark it, try SMS instead.
    if status == 400 and fields and all(RECIPIENT_FIELD.fullmatch(f) for f in fields):
        return Failure.BAD_ADDRESS
    return Failure.REJECTED


def text_to_html(text: str) -> str:
    """Plain text as escaped HTML paragraphs, for messages that carry no HTML of their own."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "\n".join(
        "<p>" + html.escape(p.strip()).replace("\n", "<br>\n") + "</p>" for p in paragraphs
    )


class SendGridEmail:
    name = "email"

    def __init__(self, settings: Settings, *, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        self.settings = settings
        if settings.uses_sendgrid_sandbox:
            self.client = SendGridAPIClient(SANDBOX_API_KEY, host=settings.sandbox_url)
        else:
            self.client = SendGridAPIClient(settings.sendgrid_api_key)
        # The SDK has no timeout by default; urllib would then wait forever on a stuck socket.
        self.client.client.timeout = timeout

    def build(self, message: OutboundMessage) -> Mail:
        mail = Mail(
            from_email=From(self.settings.sendgrid_from_email, self.settings.program_name),
            subject=message.subject or self.settings.program_name,
            plain_text_content=PlainTextContent(message.body),
            html_content=HtmlContent(message.html or text_to_html(message.body)),
        )
        personalization = Personalization()
        personalization.add_to(To(message.to))
        # Per personalization, not top level: SendGrid echoes these on every event of this
        # recipient, which is how the event webhook finds our Message row again.
        personalization.add_custom_arg(CustomArg("message_id", str(message.message_id)))
        if message.invitation_id is not None:
            personalization.add_custom_arg(CustomArg("invitation_id", str(message.invitation_id)))
        mail.add_personalization(personalization)
        if message.reply_to:
            mail.reply_to = ReplyTo(message.reply_to)
        for key, value in message.headers.items():
            mail.add_header(Header(key, value))
        return mail

    def send(self, message: OutboundMessage) -> SendResult:
        if "@" not in message.to:
            # The SDK would take it for a display name and fail building the request.
            raise ChannelError(f"not an email address: {message.to!r}", failure=Failure.BAD_ADDRESS)
        try:
            response = self.client.send(self.build(message))
        except HTTPError as exc:
            raise self._error(exc) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # Refused/reset connections and timeouts (URLError and TimeoutError are OSErrors).
            raise ChannelError(
                f"SendGrid unreachable: {type(exc).__name__}: {exc}", failure=Failure.RETRY
            ) from exc
        provider_id = response.headers.get("X-Message-Id")
        if not provider_id:
            # Accepted but untraceable: retrying could send twice, so a human decides.
            raise ChannelError(
                f"SendGrid answered {response.status_code} without X-Message-Id",
                failure=Failure.REJECTED,
            )
        return SendResult(provider_id=provider_id, status="accepted")

    def _error(self, exc: HTTPError) -> ChannelError:
        status = int(exc.status_code)
        errors = _errors(exc.body)
        failure = failure_for(status, errors)
        retry_after = None
        if status == 429:
            reset = (exc.headers or {}).get("X-RateLimit-Reset")
            try:
                retry_after = max(0.0, float(str(reset)) - now().timestamp())
            except (TypeError, ValueError):
                retry_after = None
        detail = "; ".join(
            f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message"))
            for e in errors
        )
        return ChannelError(
            f"SendGrid refused the email (HTTP {status}): {detail or exc.reason}",
            failure=failure,
            code=str(status),
            retry_after=retry_after,
        )


def _errors(body: bytes | str | None) -> list[dict[str, Any]]:
    try:
        payload = json.loads(body or b"")
    except ValueError:
        return []
    errors = payload.get("errors") if isinstance(payload, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
