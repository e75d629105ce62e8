"""The providers' official OpenAPI descriptions, as validators from ``openapi-schema-validator``.

Each validator is rooted at a ``$ref`` into the whole spec (registered with ``referencing``), so
the spec's own ``$ref``s resolve where they point and OpenAPI's dialect (``nullable`` in 3.0,
the 3.1 dialect) is the library's business, not ours.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from email_validator import EmailNotValidError, validate_email
from jsonschema import FormatChecker
from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.datastructures import MultiDict

SPEC_DIR = Path(__file__).resolve().parent / "specs"
TWILIO_SPEC = SPEC_DIR / "twilio_api_v2010.json"
MAIL_SPEC = SPEC_DIR / "tsg_mail_v3.json"
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MAIL_SEND_PATH = "/v3/mail/send"

E164 = re.compile(r"\+[1-9]\d{1,14}")
CHANNEL_ADDRESS = re.compile(r"[a-z]+:\+?[\w.@-]+")  # whatsapp:+1555..., messenger:123
SHORT_CODE = re.compile(r"\d{3,8}")
ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")


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


def _is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    # The providers' own formats, as their live APIs check them (Twilio's "phone-number" is not
    # a JSON Schema format at all).
    checker = FormatChecker(formats=())
    checker.checks("phone-number")(_is_phone_number)
    checker.checks("uri")(_is_url)
    checker.checks("date-time")(_is_date_time)
    checker.checks("email")(_is_email)
    return checker


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(quote(p.replace("~", "~0").replace("/", "~1"), safe="") for p in parts)


def _validator(
    cls: type[OAS30Validator] | type[OAS31Validator], uri: str, spec: dict[str, Any], *at: str
) -> Validator:
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    schema = {"$ref": uri + _pointer(*at)}
    validator: Validator = cls(schema, registry=registry, format_checker=_format_checker())
    return validator


@dataclass(frozen=True)
class TwilioMessagesSpec:
    request_schema: dict[str, Any]
    validator: Validator
    response_validator: Validator
    # Each group needs at least one member present, e.g. (From, MessagingServiceSid).
    one_of_groups: tuple[tuple[str, ...], ...]
    account_sid_pattern: re.Pattern[str]


@dataclass(frozen=True)
class MailSendSpec:
    validator: Validator


@cache
def twilio_messages_spec() -> TwilioMessagesSpec:
    """The Messages create operation of the official Twilio spec, compiled once per process."""
    spec = json.loads(TWILIO_SPEC.read_text(encoding="utf-8"))
    operation = spec["paths"][MESSAGES_PATH]["post"]
    form_at = ("requestBody", "content", "application/x-www-form-urlencoded", "schema")
    request_schema = operation
    for part in form_at:
        request_schema = request_schema[part]
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
    operation_at = ("paths", MESSAGES_PATH, "post")
    created_at = ("responses", "201", "content", "application/json", "schema")
    uri = "urn:twilio:api:v2010"
    return TwilioMessagesSpec(
        request_schema=request_schema,
        validator=_validator(OAS30Validator, uri, spec, *operation_at, *form_at),
        response_validator=_validator(OAS30Validator, uri, spec, *operation_at, *created_at),
        one_of_groups=groups,
        account_sid_pattern=re.compile(sid_schema["pattern"]),
    )


@cache
def mail_send_spec() -> MailSendSpec:
    """The Mail Send request body of the official SendGrid spec, compiled once per process."""
    spec = json.loads(MAIL_SPEC.read_text(encoding="utf-8"))
    body = spec["paths"][MAIL_SEND_PATH]["post"]["requestBody"]
    body_at: tuple[str, ...] = ("paths", MAIL_SEND_PATH, "post", "requestBody")
    if "$ref" in body:
        body_at = tuple(body["$ref"].removeprefix("#/").split("/"))
        body = spec
        for part in body_at:
            body = body[part]
    schema = body["content"]["application/json"]["schema"]
    # The spec types top-level custom_args as a string; the live API takes an object there
    # (as it does per personalization). Accept both rather than reject working requests.
    properties = schema["properties"]
    properties["custom_args"] = {"anyOf": [properties["custom_args"], {"type": "object"}]}
    at = (*body_at, "content", "application/json", "schema")
    return MailSendSpec(validator=_validator(OAS31Validator, "urn:sendgrid:mail:v3", spec, *at))


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


@dataclass(frozen=True)
class Problem:
    field: str
    kind: str  # "required" | "invalid"
    message: str


def _ignored(error: Any) -> bool:
    # Twilio marks formats its live API does not enforce (MediaUrl's "uri").
    marks = error.schema.get("x-twilio") if isinstance(error.schema, dict) else None
    return error.validator == "format" and bool(marks and marks.get("ignoreFormat"))


def schema_problems(validator: Validator, instance: Any) -> list[Problem]:
    """Every schema violation, named by dotted field path (``personalizations.0.to``)."""
    problems = []
    errors = [e for e in validator.iter_errors(instance) if not _ignored(e)]
    for error in sorted(errors, key=lambda e: [str(p) for p in e.path]):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    field = ".".join([*path, name])
                    problems.append(Problem(field, "required", f"The {field} field is required."))
        else:
            problems.append(Problem(".".join(path), "invalid", error.message))
    return problems


def coerce_form(form: MultiDict[str, str], schema: dict[str, Any]) -> dict[str, Any]:
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
