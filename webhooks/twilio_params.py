"""What a signed Twilio webhook may carry: the checks the signature itself cannot make.

``X-Twilio-Signature`` is an HMAC over the URL followed by every parameter's name and value
with no separator, so the same signed string can be cut into other parameter sets:
``MessageSid=SM…`` + ``NumMedia=0`` signs exactly like ``MessageSid=SM…NumMedia0``. A re-cut
request keeps a valid signature but changes the sid we deduplicate on, which would turn one
captured message into many (a captured START replayed after a STOP would opt a number back in).
It carries no timestamp either, so the sid is the only thing that makes a replay harmless.

So a signed request is only taken when its parameters form a set Twilio could have sent:
well-formed provider ids that agree with each other, our account and our number, each known
parameter in its own shape, names that look like Twilio's, no repeated names and no NUL.
Every id has a fixed length, so no value can swallow the parameter after it, and every value
fits the column it is stored in. Anything else is a :class:`BadTwilioRequest` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from outreach.models import MESSAGE_ID_MAX

MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9a-fA-F]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
# A phone number, a short code or a channel address ("whatsapp:+1415…", "rcs:brand_agent").
ADDRESS = re.compile(r"(?:[a-z]{2,16}:)?\+?[0-9A-Za-z_.-]{2,64}")
ERROR_CODE = re.compile(r"[0-9]{1,6}")
# Names Twilio uses: "MessageSid", "FromZip", "MediaUrl0". Twilio adds parameters without
# notice, so an unknown name of this shape is kept; a name with a sid inside it is a re-cut.
PARAMETER_NAME = re.compile(r"[A-Z][A-Za-z]{1,48}[0-9]{0,2}")
API_VERSION = "2010-04-01"
MESSAGE_STATUSES = frozenset(
    {
        "queued",
        "sending",
        "sent",
        "failed",
        "delivered",
        "undelivered",
        "receiving",
        "received",
        "accepted",
        "scheduled",
        "read",
        "partially_delivered",
        "canceled",
    }
)
OPT_OUT_TYPES = frozenset({"STOP", "START", "HELP"})
MAX_BODY = 1600  # Twilio's own limit on a message body
MAX_MEDIA = 10
MAX_VALUE = 8192  # media URLs and what Twilio adds (AddOns carries JSON)
MAX_PARAMETERS = 80
_SID_TWINS = ("SmsSid", "SmsMessageSid")  # deprecated names Twilio still sends, equal to MessageSid
_MEDIA = re.compile(r"Media(?:Url|ContentType)([0-9]{1,2})")


class BadTwilioRequest(ValueError):
    """A signed request Twilio could not have sent; ``status`` is 400, or 403 when it is not
    addressed to us."""

    def __init__(self, field: str, problem: str, status: int = 400) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Expected:
    """Who a genuine webhook is for: our account, and our number or Messaging Service."""

    account_sid: str
    from_number: str
    messaging_service_sid: str = ""


def _fixed(pattern: re.Pattern[str], what: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if pattern.fullmatch(value) else f"not {what}"

    return check


def _short(limit: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if len(value) <= limit else f"longer than {limit} characters"

    return check


def _one_of(allowed: frozenset[str]) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in allowed else "not one of Twilio's values"

    return check


def _count(limit: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        ok = value.isascii() and value.isdigit() and len(value) <= 3 and int(value) <= limit
        return None if ok else f"not a count from 0 to {limit}"

    return check


def _exactly(expected: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value == expected else f"expected {expected}"

    return check


_PLACE = _short(64)
_SHAPES: Mapping[str, Callable[[str], str | None]] = {
    "MessageSid": _fixed(MESSAGE_SID, "a Twilio message sid (SM or MM and 32 hex digits)"),
    "SmsSid": _fixed(MESSAGE_SID, "a Twilio message sid"),
    "SmsMessageSid": _fixed(MESSAGE_SID, "a Twilio message sid"),
    "AccountSid": _fixed(ACCOUNT_SID, "a Twilio account sid (AC and 32 hex digits)"),
    "MessagingServiceSid": _fixed(SERVICE_SID, "a Messaging Service sid (MG and 32 hex digits)"),
    "From": _fixed(ADDRESS, "a phone number or channel address"),
    "To": _fixed(ADDRESS, "a phone number or channel address"),
    "Body": _short(MAX_BODY),
    "NumMedia": _count(MAX_MEDIA),
    "NumSegments": _count(999),
    "ApiVersion": _exactly(API_VERSION),
    "MessageStatus": _one_of(MESSAGE_STATUSES),
    "SmsStatus": _one_of(MESSAGE_STATUSES),
    "OptOutType": _one_of(OPT_OUT_TYPES),
    "ErrorCode": _fixed(ERROR_CODE, "a Twilio error code (digits)"),
    "ErrorMessage": _short(512),
    **dict.fromkeys(
        ("FromCity", "FromState", "FromZip", "FromCountry", "ToCity", "ToState", "ToZip"), _PLACE
    ),
    "ToCountry": _PLACE,
}


def _flat(form: MultiDict[str, str]) -> dict[str, str]:
    if len(form) > MAX_PARAMETERS:
        raise BadTwilioRequest("form", f"more than {MAX_PARAMETERS} parameters")
    params: dict[str, str] = {}
    for name, values in form.lists():
        if len(values) != 1:
            # The signature sorts and de-duplicates repeated values: a repeat is never Twilio's.
            raise BadTwilioRequest(name[:64], "given more than once")
        if not PARAMETER_NAME.fullmatch(name):
            raise BadTwilioRequest(name[:64], "not a Twilio parameter name")
        value = values[0]
        if "\x00" in value:
            raise BadTwilioRequest(name, "contains a NUL character")
        shape = _SHAPES.get(name)
        problem = shape(value) if shape else _short(MAX_VALUE)(value)
        if problem:
            raise BadTwilioRequest(name, problem)
        params[name] = value
    return params


def _require(params: Mapping[str, str], *names: str) -> None:
    for name in names:
        if name not in params:
            raise BadTwilioRequest(name, "required")


def _same_message(params: Mapping[str, str]) -> None:
    for twin in _SID_TWINS:
        if twin in params and params[twin] != params["MessageSid"]:
            raise BadTwilioRequest(twin, "differs from MessageSid")


def _ours(params: Mapping[str, str], expected: Expected) -> None:
    if params["AccountSid"] != expected.account_sid:
        raise BadTwilioRequest("AccountSid", "not our Twilio account", 403)
    service = params.get("MessagingServiceSid")
    if expected.messaging_service_sid and service not in (None, expected.messaging_service_sid):
        raise BadTwilioRequest("MessagingServiceSid", "not our Messaging Service", 403)


def inbound_sms(form: MultiDict[str, str], expected: Expected) -> dict[str, str]:
    """The parameters of an inbound-message webhook, once they are a set Twilio could send.

    Raises:
        BadTwilioRequest: the field that is missing, malformed or not addressed to us.
    """
    params = _flat(form)
    _require(params, "MessageSid", "AccountSid", "From", "To", "Body", "NumMedia")
    _same_message(params)
    _ours(params, expected)
    # Through a Messaging Service the number is any one of its pool; its sid says it is ours.
    through_service = expected.messaging_service_sid and "MessagingServiceSid" in params
    if not through_service and params["To"] != expected.from_number:
        raise BadTwilioRequest("To", "not our number", 403)
    media = int(params["NumMedia"])
    for name in params:
        match = _MEDIA.fullmatch(name)
        if match and int(match[1]) >= media:
            raise BadTwilioRequest(name, f"beyond NumMedia={media}")
    return params


def status_callback(
    form: MultiDict[str, str], query: MultiDict[str, str], expected: Expected
) -> tuple[dict[str, str], int | None]:
    """A status callback's parameters and our message id (``?m=``), once they are plausible.

    Raises:
        BadTwilioRequest: the field that is missing, malformed or not addressed to us.
    """
    params = _flat(form)
    _require(params, "MessageSid", "MessageStatus", "AccountSid")
    _same_message(params)
    _ours(params, expected)
    return params, message_id(query)


def message_id(query: MultiDict[str, str]) -> int | None:
    """Our message id from a status callback URL's ``?m=``, which we put there when sending."""
    unexpected = sorted(set(query) - {"m"})
    if unexpected:
        raise BadTwilioRequest(unexpected[0][:64], "not a parameter of our callback URL")
    values = query.getlist("m")
    if not values:
        return None
    value = values[0]
    ok = len(values) == 1 and value.isascii() and value.isdigit() and len(value) <= 10
    if not ok or not 0 < int(value) <= MESSAGE_ID_MAX:
        raise BadTwilioRequest("m", "not one of our message ids")
    return int(value)
