"""TwilioSMS and SendGridEmail through the real SDKs, over HTTP to the sandbox."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from core.config import Settings
from outreach.channels import ChannelError, Failure, OutboundMessage, channels_for
from outreach.channels.sendgrid_email import SendGridEmail
from outreach.channels.twilio_sms import TwilioSMS
from sandbox import Sandbox

TOKEN = "channels-test-token"
PHONE = "+15551230004"
EMAIL = "dana@example.com"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(auth_token=TOKEN) as running:
        yield running


def _settings(sandbox_url: str, **overrides: str) -> Settings:
    values = {
        "secret_key": "test",
        "environment": "test",
        "sandbox_url": sandbox_url,
        "twilio_auth_token": TOKEN,
        "public_base_url": "https://pulse.example.com",
        **overrides,
    }
    return Settings.from_env({}, **values)


@pytest.fixture
def settings(sandbox: Sandbox) -> Settings:
    return _settings(sandbox.url)


def _sms(body: str = "How is week one? Reply 1-5", to: str = PHONE) -> OutboundMessage:
    return OutboundMessage(to=to, body=body, message_id=101, invitation_id=7)


def _email(**overrides: object) -> OutboundMessage:
    values: dict[str, object] = {
        "to": EMAIL,
        "body": "How is week one? Reply 1-5",
        "message_id": 102,
        "subject": "Week one",
        "invitation_id": 7,
        "reply_to": "reply+tok@reply.example.com",
        "headers": {
            "List-Unsubscribe": "<https://pulse.example.com/u/tok>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }
    values.update(overrides)
    return OutboundMessage(**values)  # type: ignore[arg-type]


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_twilio_sms_send_returns_sid_status_and_segments(
    sandbox: Sandbox, settings: Settings
) -> None:
    result = TwilioSMS(settings).send(_sms("a" * 161))

    [sent] = sandbox.sms()
    assert result.provider_id == sent["sid"]
    assert result.status == "queued"
    assert result.segments == 2
    assert sent["from"] == settings.twilio_from_number
    assert sent["status_callback"] == "https://pulse.example.com/webhooks/twilio/status?m=101"


def test_twilio_sms_uses_the_messaging_service_when_configured(sandbox: Sandbox) -> None:
    service = "MG" + "b" * 32
    settings = _settings(sandbox.url, twilio_messaging_service_sid=service)

    result = TwilioSMS(settings).send(_sms())

    [sent] = sandbox.sms()
    assert sent["messaging_service_sid"] == service
    assert "From" not in sent["params"]
    assert result.status == "accepted"
    assert result.segments == 1


@pytest.mark.parametrize(
    ("inject", "failure", "code", "retry_after"),
    [
        ({"code": 20429, "retry_after": 3}, Failure.RETRY, "20429", 3.0),
        ({"status": 429}, Failure.RETRY, "20429", None),
        ({"status": 500}, Failure.RETRY, "20500", None),
        ({"status": 503}, Failure.RETRY, "20503", None),
        ({"code": 21610}, Failure.OPTED_OUT, "21610", None),
        ({"code": 21211}, Failure.BAD_ADDRESS, "21211", None),
        ({"code": 21614}, Failure.BAD_ADDRESS, "21614", None),
        ({"status": 400, "code": 21408}, Failure.REJECTED, "21408", None),
    ],
)
def test_twilio_sms_maps_provider_errors_to_failures(
    sandbox: Sandbox,
    settings: Settings,
    inject: dict[str, int],
    failure: Failure,
    code: str,
    retry_after: float | None,
) -> None:
    sandbox.fail_next(**inject)

    with pytest.raises(ChannelError) as caught:
        TwilioSMS(settings).send(_sms())

    assert caught.value.failure is failure
    assert caught.value.code == code
    assert caught.value.retry_after == retry_after
    assert caught.value.retryable is (failure is Failure.RETRY)
    assert sandbox.sms() == []


def test_twilio_sms_invalid_number_checked_by_the_spec_is_a_bad_address(
    sandbox: Sandbox, settings: Settings
) -> None:
    with pytest.raises(ChannelError) as caught:
        TwilioSMS(settings).send(_sms(to="555-0100"))

    assert caught.value.failure is Failure.BAD_ADDRESS
    assert caught.value.code == "21211"
    assert sandbox.rejected()[0]["field"] == "To"


def test_twilio_sms_with_a_wrong_token_is_rejected(sandbox: Sandbox) -> None:
    settings = _settings(sandbox.url, twilio_auth_token="not-the-token")

    with pytest.raises(ChannelError) as caught:
        TwilioSMS(settings).send(_sms())

    assert caught.value.failure is Failure.REJECTED
    assert caught.value.code == "20003"


def test_twilio_sms_timeout_is_retryable(sandbox: Sandbox, settings: Settings) -> None:
    sandbox.delay_next(1, seconds=1.0)

    with pytest.raises(ChannelError) as caught:
        TwilioSMS(settings, timeout=0.2).send(_sms())

    assert caught.value.failure is Failure.RETRY
    assert "Timeout" in str(caught.value)


def test_twilio_sms_unreachable_provider_is_retryable() -> None:
    settings = _settings(_closed_port_url())

    with pytest.raises(ChannelError) as caught:
        TwilioSMS(settings).send(_sms())

    assert caught.value.failure is Failure.RETRY


def test_sendgrid_email_send_carries_custom_args_reply_to_and_headers(
    sandbox: Sandbox, settings: Settings
) -> None:
    result = SendGridEmail(settings).send(_email())

    [sent] = sandbox.emails()
    assert result.provider_id == sent["message_id"]
    assert result.status == "accepted"
    assert sent["to"] == EMAIL
    assert sent["from"] == settings.sendgrid_from_email
    assert sent["subject"] == "Week one"
    assert sent["reply_to"] == "reply+tok@reply.example.com"
    assert sent["headers"] == {
        "List-Unsubscribe": "<https://pulse.example.com/u/tok>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    # Per personalization, as strings, so the event webhook can find the message again.
    assert sent["personalizations"][0]["custom_args"] == {"message_id": "102", "invitation_id": "7"}
    assert sent["custom_args"] == {"message_id": "102", "invitation_id": "7"}


def test_sendgrid_email_escapes_plain_text_into_html(sandbox: Sandbox, settings: Settings) -> None:
    SendGridEmail(settings).send(_email(body="Hi <b>Dana</b> & co", html=None))

    [sent] = sandbox.emails()
    assert sent["text"] == "Hi <b>Dana</b> & co"
    assert sent["html"] == "<p>Hi &lt;b&gt;Dana&lt;/b&gt; &amp; co</p>"


def test_sendgrid_email_sends_given_html_as_is(sandbox: Sandbox, settings: Settings) -> None:
    SendGridEmail(settings).send(_email(html="<p>Rate us</p>", invitation_id=None))

    [sent] = sandbox.emails()
    assert sent["html"] == "<p>Rate us</p>"
    assert sent["custom_args"] == {"message_id": "102"}


def test_sendgrid_email_rate_limit_is_retryable_after_the_reset(
    sandbox: Sandbox, settings: Settings, clock: object
) -> None:
    # The frozen clock makes "now" identical for the sandbox and the channel.
    sandbox.fail_next(channel="email", status=429, retry_after=30)

    with pytest.raises(ChannelError) as caught:
        SendGridEmail(settings).send(_email())

    assert caught.value.failure is Failure.RETRY
    assert caught.value.code == "429"
    assert caught.value.retry_after == 30.0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_sendgrid_email_server_error_is_retryable(
    sandbox: Sandbox, settings: Settings, status: int
) -> None:
    sandbox.fail_next(channel="email", status=status)

    with pytest.raises(ChannelError) as caught:
        SendGridEmail(settings).send(_email())

    assert caught.value.failure is Failure.RETRY
    assert caught.value.retry_after is None


@pytest.mark.parametrize("address", ["dana@example", "dana-at-example"])
def test_sendgrid_email_invalid_recipient_is_a_bad_address(
    sandbox: Sandbox, settings: Settings, address: str
) -> None:
    with pytest.raises(ChannelError) as caught:
        SendGridEmail(settings).send(_email(to=address))

    assert caught.value.failure is Failure.BAD_ADDRESS
    assert sandbox.emails() == []


def test_sendgrid_email_recipient_refused_by_sendgrid_names_the_field(
    sandbox: Sandbox, settings: Settings
) -> None:
    with pytest.raises(ChannelError) as caught:
        SendGridEmail(settings).send(_email(to="dana@example"))

    assert "personalizations.0.to.0.email" in str(caught.value)
    assert sandbox.rejected()[0]["field"] == "personalizations.0.to.0.email"


def test_sendgrid_email_other_client_errors_are_rejected(
    sandbox: Sandbox, settings: Settings
) -> None:
    with pytest.raises(ChannelError) as caught:
        SendGridEmail(settings).send(_email(headers={"Reply-To": "x@example.com"}))

    assert caught.value.failure is Failure.REJECTED
    assert "headers" in str(caught.value)


def test_sendgrid_email_with_a_wrong_key_is_rejected(sandbox: Sandbox, settings: Settings) -> None:
    with Sandbox(auth_token=TOKEN, api_key="SG.another-key") as strict:
        channel = SendGridEmail(_settings(strict.url))
        with pytest.raises(ChannelError) as caught:
            channel.send(_email())

    assert caught.value.failure is Failure.REJECTED
    assert caught.value.code == "401"


def test_sendgrid_email_timeout_is_retryable(sandbox: Sandbox, settings: Settings) -> None:
    sandbox.delay_next(1, seconds=1.0, channel="email")

    with pytest.raises(ChannelError) as caught:
        SendGridEmail(settings, timeout=0.2).send(_email())

    assert caught.value.failure is Failure.RETRY


def test_sendgrid_email_unreachable_provider_is_retryable() -> None:
    with pytest.raises(ChannelError) as caught:
        SendGridEmail(_settings(_closed_port_url())).send(_email())

    assert caught.value.failure is Failure.RETRY


def test_channels_for_points_both_channels_at_the_sandbox(
    sandbox: Sandbox, settings: Settings
) -> None:
    channels = channels_for(settings)

    assert {name: channel.name for name, channel in channels.items()} == {
        "sms": "sms",
        "email": "email",
    }
    channels["sms"].send(_sms())
    channels["email"].send(_email())
    assert len(sandbox.sms()) == len(sandbox.emails()) == 1


def test_channels_with_real_credentials_do_not_point_at_the_sandbox(sandbox: Sandbox) -> None:
    settings = _settings(
        sandbox.url,
        twilio_account_sid="AC" + "c" * 32,
        sendgrid_api_key="SG.real-looking.key",
    )

    channels = channels_for(settings)

    sms = channels["sms"]
    email = channels["email"]
    assert isinstance(sms, TwilioSMS) and isinstance(email, SendGridEmail)
    assert sms.client.api.base_url == "https://api.twilio.com"
    assert email.client.host == "https://api.sendgrid.com"
