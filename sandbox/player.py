"""Playing a contractor: a signed inbound SMS, or an Inbound Parse post of a Gmail reply to
the last survey email, sent to the app as Twilio and SendGrid would send them."""

from __future__ import annotations

import secrets
import urllib.request
from datetime import datetime
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from werkzeug.wrappers import Request, Response

from core.clock import now
from outreach.channels.twilio_sms import SANDBOX_ACCOUNT_SID, count_segments
from sandbox import inbound_parse
from sandbox.base import SandboxState, epoch, json_response, send
from sandbox.twilio_api import DEFAULT_SENDER, INBOUND_SMS_PATH, country_of, post_signed


class ContractorPlayer(SandboxState):
    """Replies by text and by email, from code (tests) or over HTTP (``make run``)."""

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
            "FromCountry": country_of(from_),
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
        params["ToCountry"] = country_of(params["To"])
        if last and last["messaging_service_sid"]:
            params["MessagingServiceSid"] = last["messaging_service_sid"]
        status, answer = post_signed(self.auth_token, self.app_url + INBOUND_SMS_PATH, params)
        with self._lock:
            self._replies.append(
                {
                    "sid": sid,
                    "status": status,
                    "params": params,
                    "received_at": epoch(),
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
        status = send(request)
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
            "received_at": epoch(),
        }
        with self._lock:
            self._replies.append(record)
        return status, record

    def _on_reply(self, request: Request) -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return json_response({"error": 'send a JSON object: {"from": ..., "body": ...}'}, 400)
        for name in ("from", "body"):
            if not isinstance(data.get(name), str) or not data[name]:
                return json_response({"error": f"'{name}' is required and must be a string"}, 400)
        for name in ("to", "message_sid"):
            if data.get(name) is not None and not isinstance(data[name], str):
                return json_response({"error": f"'{name}' must be a string"}, 400)
        if not self.app_url:
            return json_response({"error": "the sandbox was started without --app-url"}, 409)
        try:
            status, params = self._reply(
                data["from"], data["body"], data.get("to"), data.get("message_sid")
            )
        except OSError as exc:
            return json_response({"error": f"the app did not answer: {exc}"}, 502)
        return json_response({"status": status, "message_sid": params["MessageSid"]}, 200)

    def _on_email_reply(self, request: Request) -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return json_response({"error": 'send a JSON object: {"from": ..., "text": ...}'}, 400)
        for name in ("from", "text"):
            if not isinstance(data.get(name), str) or not data[name]:
                return json_response({"error": f"'{name}' is required and must be a string"}, 400)
        for name in ("to", "subject", "in_reply_to"):
            if data.get(name) is not None and not isinstance(data[name], str):
                return json_response({"error": f"'{name}' must be a string"}, 400)
        if data.get("quote") is not None and not isinstance(data["quote"], bool):
            return json_response({"error": "'quote' must be true or false"}, 400)
        if not self.app_url or not self.inbound_secret:
            return json_response(
                {"error": "the sandbox was started without --app-url or a secret"}, 409
            )
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
            return json_response({"error": f"{exc}; give 'to'"}, 404)
        except OSError as exc:
            return json_response({"error": f"the app did not answer: {exc}"}, 502)
        return json_response({"status": status, "message_id": record["message_id"]}, 200)
