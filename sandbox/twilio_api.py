"""Twilio's Messages API as the SDK calls it: create (validated against the official spec),
list, and the signed status callbacks that follow an accepted message."""

from __future__ import annotations

import hmac
import json
import secrets
import time
import urllib.request
from collections.abc import Mapping
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import phonenumbers
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from core.clock import now
from outreach.channels.twilio_sms import count_segments
from sandbox.base import epoch, exchange, json_response
from sandbox.faults import Faults
from sandbox.specs import (
    CHANNEL_ADDRESS,
    E164,
    MESSAGES_PATH,
    Problem,
    coerce_form,
    schema_problems,
    twilio_messages_spec,
)

INBOUND_SMS_PATH = "/webhooks/twilio/sms"
# Twilio's magic test number: what a contractor sees as the sender when none was given.
DEFAULT_SENDER = "+15005550006"
__all__ = ["INBOUND_SMS_PATH", "MESSAGES_PATH", "TwilioAPI"]

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


class TwilioAPI(Faults):
    """POST and GET /2010-04-01/Accounts/{AccountSid}/Messages.json, and status callbacks."""

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
        return post_signed(self.auth_token, sent["status_callback"], params)[0]

    def _callbacks_for(self, sid: str) -> None:
        for status in ("sent", "delivered"):
            self.status_callback(sid, status)

    def _on_sms(self, request: Request, account_sid: str) -> Response:
        arrived = time.time()  # wall clock, for pacing checks: not the app's time seam
        spec = twilio_messages_spec()
        if request.method not in ("POST", "GET"):
            return twilio_error(405, 20004, "Method not allowed")
        if not spec.account_sid_pattern.fullmatch(account_sid):
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or not hmac.compare_digest(str(auth.username), account_sid)
            or not hmac.compare_digest(str(auth.password).encode(), self.auth_token.encode())
        ):
            return self._reject_sms(
                request, twilio_error(401, 20003, "Authenticate"), "Authenticate"
            )
        if request.method == "GET":
            return self._list_sms(request, account_sid)
        return self._create_sms(request, account_sid, arrived)

    def _create_sms(self, request: Request, account_sid: str, arrived: float) -> Response:
        fault = self._take_fault("sms")
        if fault is not None:
            headers = {"Retry-After": _seconds(fault.retry_after)} if fault.retry_after else None
            error = twilio_error(fault.status, fault.code, fault.message, headers)
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
                twilio_error(400, code, text),
                f"{problem.field}: {problem.message}",
                field=problem.field,
            )
        return self._accept_sms(request.form, account_sid, arrived)

    def _sms_problem(self, form: MultiDict[str, str]) -> Problem | None:
        spec = twilio_messages_spec()
        document = coerce_form(form, spec.request_schema)
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
            "received_at": epoch(),
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
        return json_response(payload, 201)

    def _list_sms(self, request: Request, account_sid: str) -> Response:
        """GET Messages.json: what the SDK's ``messages.list/stream`` asks, newest first."""
        allowed = {"To", "From", "DateSent", "DateSent<", "DateSent>", "PageSize", "Page"}
        allowed |= {"PageToken"}
        unknown = sorted(set(request.args) - allowed)
        if unknown:
            return twilio_error(400, TWILIO_BAD_REQUEST, f"unknown parameters {unknown}")
        to, sender = request.args.get("To"), request.args.get("From")
        try:
            page_size = min(max(int(request.args.get("PageSize", "50")), 1), 1000)
        except ValueError:
            return twilio_error(400, TWILIO_BAD_REQUEST, "PageSize must be a whole number")
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
        return json_response(page, 200)

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
                    "received_at": epoch(),
                }
            )
        return response


def post_signed(auth_token: str, url: str, params: dict[str, str]) -> tuple[int, str]:
    """POST ``params`` to the app as Twilio does, signed with ``auth_token``."""
    signature = RequestValidator(auth_token).compute_signature(url, params)
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
    return exchange(request)


def twilio_error(
    status: int, code: int | None, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    payload = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return json_response(payload, status, headers)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def country_of(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ""
    # Test numbers such as +1555... belong to no region, but the country code still tells.
    region = phonenumbers.region_code_for_number(parsed) or (
        phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    )
    return "" if region == phonenumbers.UNKNOWN_REGION else region
