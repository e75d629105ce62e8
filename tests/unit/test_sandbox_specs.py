"""The sandbox's validators, built by openapi-schema-validator from the official specs."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from sandbox.specs import coerce_form, mail_send_spec, schema_problems, twilio_messages_spec

MESSAGE = {
    "account_sid": "AC" + "0" * 32,
    "api_version": "2010-04-01",
    "body": "Hi",
    "date_created": "Mon, 07 Dec 2026 12:00:00 +0000",
    "date_sent": None,
    "date_updated": "Mon, 07 Dec 2026 12:00:00 +0000",
    "direction": "outbound-api",
    "error_code": None,
    "error_message": None,
    "from": "+15005550006",
    "messaging_service_sid": None,
    "num_media": "0",
    "num_segments": "1",
    "price": None,
    "price_unit": "USD",
    "sid": "SM" + "0" * 32,
    "status": "queued",
    "subresource_uris": {},
    "to": "+15551234567",
    "uri": "/2010-04-01/Accounts/AC/Messages/SM.json",
}


def test_twilio_response_validator_follows_refs_and_allows_nullable_fields() -> None:
    validator = twilio_messages_spec().response_validator

    assert list(validator.iter_errors(MESSAGE)) == []
    # "status" is a $ref to an enum in components: an unknown value is caught there.
    problems = schema_problems(validator, {**MESSAGE, "status": "teleported"})
    assert [p.field for p in problems] == ["status"]


def test_twilio_request_problems_name_the_form_field() -> None:
    spec = twilio_messages_spec()
    form = MultiDict([("Body", "Hi"), ("StatusCallback", "http://bad_host/cb")])

    problems = schema_problems(spec.validator, coerce_form(form, spec.request_schema))

    assert [(p.field, p.kind) for p in problems] == [
        ("To", "required"),
        ("StatusCallback", "invalid"),
    ]


def test_twilio_request_skips_formats_twilio_marks_as_not_enforced() -> None:
    spec = twilio_messages_spec()
    form = MultiDict([("To", "+15551234567"), ("Body", "Hi"), ("MediaUrl", "not a url")])

    assert schema_problems(spec.validator, coerce_form(form, spec.request_schema)) == []


def test_mail_send_problems_name_the_dotted_path() -> None:
    document = {
        "personalizations": [{"to": [{"email": "not-an-address"}]}],
        "from": {"email": "pulse@example.com"},
        "subject": "Hi",
        "content": [{"type": "text/plain", "value": "Hi"}],
        "custom_args": {"message_id": "1"},  # the live API takes an object here
    }

    problems = schema_problems(mail_send_spec().validator, document)

    assert [(p.field, p.kind) for p in problems] == [("personalizations.0.to.0.email", "invalid")]
