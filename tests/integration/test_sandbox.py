"""The provider sandbox over real HTTP: what it accepts, records and refuses, per the specs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail, Personalization, ReplyTo, To
from twilio.rest import Client

from outreach.channels.sendgrid_email import SANDBOX_API_KEY
from outreach.channels.twilio_sms import SANDBOX_ACCOUNT_SID
from sandbox import Sandbox, twilio_messages_spec

TOKEN = "sandbox-test-token"
CONTRACTOR = "+15551230001"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(auth_token=TOKEN) as running:
        yield running


def _messages_url(sandbox: Sandbox, sid: str = SANDBOX_ACCOUNT_SID) -> str:
    return f"{sandbox.url}/2010-04-01/Accounts/{sid}/Messages.json"


def _post_sms(sandbox: Sandbox, data: dict[str, str] | list[tuple[str, str]]) -> requests.Response:
    return requests.post(
        _messages_url(sandbox), data=data, auth=(SANDBOX_ACCOUNT_SID, TOKEN), timeout=5
    )


def _post_mail(sandbox: Sandbox, body: object, key: str = SANDBOX_API_KEY) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/v3/mail/send",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=5,
    )


def _mail(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "personalizations": [{"to": [{"email": "dana@example.com"}]}],
        "from": {"email": "pulse@example.com"},
        "subject": "How is week one going?",
        "content": [{"type": "text/plain", "value": "Reply 1-5"}],
    }
    body.update(overrides)
    return body


def test_sandbox_records_sms_sent_with_twilio_sdk(sandbox: Sandbox) -> None:
    client = Client(SANDBOX_ACCOUNT_SID, TOKEN, environment={"PULSE_TWILIO": "sandbox"})
    client.api.base_url = sandbox.url

    sent = client.messages.create(
        to=CONTRACTOR,
        from_="+15005550006",
        body="How is your first week? Reply 1-5",
        status_callback="http://127.0.0.1:5000/webhooks/twilio/status?m=1",
    )

    [recorded] = sandbox.sms()
    assert recorded["sid"] == sent.sid
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert sent.status == "queued"
    assert recorded["to"] == CONTRACTOR
    assert recorded["from"] == "+15005550006"
    assert recorded["body"] == "How is your first week? Reply 1-5"
    assert recorded["status_callback"] == "http://127.0.0.1:5000/webhooks/twilio/status?m=1"
    assert recorded["messaging_service_sid"] is None
    assert recorded["num_segments"] == 1
    assert isinstance(recorded["received_at"], float)
    assert sandbox.rejected() == []


def test_sandbox_answers_sms_in_the_spec_message_shape(sandbox: Sandbox) -> None:
    answer = _post_sms(sandbox, {"To": CONTRACTOR, "From": "+15005550006", "Body": "Hi"})

    assert answer.status_code == 201
    payload = answer.json()
    errors = list(twilio_messages_spec().response_validator.iter_errors(payload))
    assert errors == []
    assert payload["sid"] == sandbox.sms()[0]["sid"]
    assert payload["account_sid"] == SANDBOX_ACCOUNT_SID
    assert payload["direction"] == "outbound-api"


def test_sandbox_accepts_messaging_service_send_as_accepted(sandbox: Sandbox) -> None:
    service = "MG" + "a" * 32

    answer = _post_sms(sandbox, {"To": CONTRACTOR, "MessagingServiceSid": service, "Body": "Hi"})

    assert answer.status_code == 201
    assert answer.json()["status"] == "accepted"
    assert answer.json()["from"] is None
    assert sandbox.sms()[0]["messaging_service_sid"] == service


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"From": "+15005550006", "Body": "Hi"}, 21604, "To"),
        ({"To": "555-1234", "From": "+15005550006", "Body": "Hi"}, 21211, "To"),
        ({"To": "Dana", "From": "+15005550006", "Body": "Hi"}, 21211, "To"),
        ({"To": CONTRACTOR, "Body": "Hi"}, 21603, "From"),
        ({"To": CONTRACTOR, "From": "+15005550006"}, 21602, "Body"),
        ({"To": CONTRACTOR, "From": "+15005550006", "Body": "x" * 1601}, 21617, "Body"),
        ({"To": CONTRACTOR, "From": "not a number!", "Body": "Hi"}, 21212, "From"),
        (
            {"To": CONTRACTOR, "From": "+15005550006", "Body": "Hi", "StatusCallback": "nope"},
            21609,
            "StatusCallback",
        ),
        (
            {"To": CONTRACTOR, "MessagingServiceSid": "MG123", "Body": "Hi"},
            70002,
            "MessagingServiceSid",
        ),
        (
            {"To": CONTRACTOR, "From": "+15005550006", "Body": "Hi", "ValidityPeriod": "soon"},
            70002,
            "ValidityPeriod",
        ),
        (
            {"To": CONTRACTOR, "From": "+15005550006", "Body": "Hi", "ContentRetention": "x"},
            70002,
            "ContentRetention",
        ),
    ],
)
def test_sandbox_rejects_invalid_sms_with_twilio_error_naming_the_field(
    sandbox: Sandbox, data: dict[str, str], code: int, field: str
) -> None:
    answer = _post_sms(sandbox, data)

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert answer.json()["status"] == 400
    assert answer.json()["more_info"].endswith(str(code))
    [rejected] = sandbox.rejected()
    assert rejected["field"] == field
    assert field in rejected["reason"]
    assert sandbox.sms() == []


def test_sandbox_accepts_typed_form_fields_that_parse(sandbox: Sandbox) -> None:
    answer = _post_sms(
        sandbox,
        [
            ("To", CONTRACTOR),
            ("From", "+15005550006"),
            ("ValidityPeriod", "600"),
            ("SmartEncoded", "false"),
            ("MediaUrl", "https://example.com/a.png"),
            ("MediaUrl", "https://example.com/b.png"),
        ],
    )

    assert answer.status_code == 201, answer.text
    assert sandbox.sms()[0]["num_media"] == 2


@pytest.mark.parametrize(
    ("sid", "auth", "status", "code"),
    [
        (SANDBOX_ACCOUNT_SID, (SANDBOX_ACCOUNT_SID, "wrong-token"), 401, 20003),
        (SANDBOX_ACCOUNT_SID, ("AC" + "1" * 32, TOKEN), 401, 20003),
        (SANDBOX_ACCOUNT_SID, None, 401, 20003),
        ("ACnot-a-sid", ("ACnot-a-sid", TOKEN), 404, 20404),
    ],
)
def test_sandbox_refuses_sms_without_matching_credentials(
    sandbox: Sandbox, sid: str, auth: tuple[str, str] | None, status: int, code: int
) -> None:
    answer = requests.post(
        _messages_url(sandbox, sid),
        data={"To": CONTRACTOR, "From": "+15005550006", "Body": "Hi"},
        auth=auth,
        timeout=5,
    )

    assert answer.status_code == status
    assert answer.json()["code"] == code
    assert sandbox.sms() == []


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("I\u2019m fine" + "a" * 63, 2),  # 71 characters, one curly quote: UCS-2
        ("All good \U0001f44d", 1),
    ],
)
def test_sandbox_counts_segments_like_twilio(sandbox: Sandbox, body: str, segments: int) -> None:
    answer = _post_sms(sandbox, {"To": CONTRACTOR, "From": "+15005550006", "Body": body})

    assert answer.json()["num_segments"] == str(segments)
    assert sandbox.sms()[0]["num_segments"] == segments


def test_sandbox_records_sendgrid_sdk_send_with_custom_args_and_reply_to(
    sandbox: Sandbox,
) -> None:
    mail = Mail(
        from_email="pulse@example.com",
        subject="How is week one going?",
        plain_text_content="Reply 1-5",
        html_content="<p>Reply 1-5</p>",
    )
    personalization = Personalization()
    personalization.add_to(To("dana@example.com"))
    personalization.add_custom_arg(CustomArg("message_id", "41"))
    personalization.add_custom_arg(CustomArg("invitation_id", "7"))
    mail.add_personalization(personalization)
    mail.reply_to = ReplyTo("reply+tok@reply.example.com")

    answer = SendGridAPIClient(SANDBOX_API_KEY, host=sandbox.url).send(mail)

    assert answer.status_code == 202
    [recorded] = sandbox.emails()
    assert answer.headers["X-Message-Id"] == recorded["message_id"]
    assert recorded["to"] == "dana@example.com"
    assert recorded["from"] == "pulse@example.com"
    assert recorded["subject"] == "How is week one going?"
    assert recorded["text"] == "Reply 1-5"
    assert recorded["html"] == "<p>Reply 1-5</p>"
    assert recorded["reply_to"] == "reply+tok@reply.example.com"
    assert recorded["custom_args"] == {"message_id": "41", "invitation_id": "7"}


@pytest.mark.parametrize("key", ["", "SG.someone-else"])
def test_sandbox_refuses_mail_without_the_bearer_key(sandbox: Sandbox, key: str) -> None:
    answer = _post_mail(sandbox, _mail(), key=key)

    assert answer.status_code == 401
    assert answer.json()["errors"][0]["message"]
    assert sandbox.emails() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            _mail(personalizations=[{"to": [{"email": "not-an-address"}]}]),
            "personalizations.0.to.0.email",
        ),
        (_mail(personalizations=[{"cc": [{"email": "a@example.com"}]}]), "personalizations.0.to"),
        (_mail(personalizations=[{"to": []}]), "personalizations.0.to"),
        (_mail(**{"from": {"name": "Pulse"}}), "from.email"),
        (_mail(subject=None), "subject"),
        (_mail(content=[]), "content"),
        (
            _mail(
                content=[
                    {"type": "text/html", "value": "<p>x</p>"},
                    {"type": "text/plain", "value": "x"},
                ]
            ),
            "content.1.type",
        ),
        (_mail(categories=["a"] * 2), "categories"),
        (_mail(headers={"Subject": "sneaky"}), "headers"),
        (
            _mail(personalizations=[{"to": [{"email": "a@example.com"}], "custom_args": {"n": 1}}]),
            "personalizations.0.custom_args",
        ),
    ],
)
def test_sandbox_rejects_invalid_mail_naming_the_field(
    sandbox: Sandbox, body: dict[str, object], field: str
) -> None:
    body = {k: v for k, v in body.items() if v is not None}

    answer = _post_mail(sandbox, body)

    assert answer.status_code == 400
    assert field in [e["field"] for e in answer.json()["errors"]]
    [rejected] = sandbox.rejected()
    assert rejected["api"] == "sendgrid" and field in rejected["reason"]
    assert sandbox.emails() == []


def test_sandbox_accepts_top_level_custom_args_object_despite_the_spec(sandbox: Sandbox) -> None:
    answer = _post_mail(sandbox, _mail(custom_args={"campaign": "onboarding"}))

    assert answer.status_code == 202, answer.text
    assert sandbox.emails()[0]["custom_args"] == {"campaign": "onboarding"}


def test_sandbox_rejects_mail_that_is_not_json(sandbox: Sandbox) -> None:
    answer = requests.post(
        f"{sandbox.url}/v3/mail/send",
        data=b"{not json",
        headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"},
        timeout=5,
    )

    assert answer.status_code == 400
    assert "not JSON" in sandbox.rejected()[0]["reason"]


def test_sandbox_lists_and_resets_messages_over_http(sandbox: Sandbox) -> None:
    _post_sms(sandbox, {"To": CONTRACTOR, "From": "+15005550006", "Body": "Hi"})
    _post_mail(sandbox, _mail())
    _post_sms(sandbox, {"From": "+15005550006", "Body": "Hi"})

    listed = requests.get(f"{sandbox.url}/_sandbox/messages", timeout=5).json()

    assert [m["to"] for m in listed["sms"]] == [CONTRACTOR]
    assert [m["to"] for m in listed["emails"]] == ["dana@example.com"]
    assert [r["code"] for r in listed["rejected"]] == [21604]
    assert requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).status_code == 200
    assert sandbox.sms() == sandbox.emails() == sandbox.rejected() == []


def test_sandbox_answers_unknown_paths_with_404(sandbox: Sandbox) -> None:
    answer = requests.get(f"{sandbox.url}/2010-04-01/Accounts.json", timeout=5)

    assert answer.status_code == 404


def test_sandbox_injected_failures_are_used_once_each(sandbox: Sandbox) -> None:
    sandbox.fail_next(2, code=21610)
    data = {"To": CONTRACTOR, "From": "+15005550006", "Body": "Hi"}

    codes = [_post_sms(sandbox, data).json().get("code") for _ in range(3)]

    assert codes == [21610, 21610, None]
    assert len(sandbox.sms()) == 1
    assert [(r["code"], r["reason"].split(":")[0]) for r in sandbox.rejected()] == [
        (21610, "injected"),
        (21610, "injected"),
    ]


def test_sandbox_fail_next_refuses_an_unknown_channel(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="channel"):
        sandbox.fail_next(channel="fax")
