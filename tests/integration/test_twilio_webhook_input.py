"""Signed Twilio webhooks that Twilio could not have sent: re-cut, replayed, foreign, malformed.

The signature is an HMAC over the URL and every name and value run together, so a captured
request can be re-cut into other parameter sets that sign the same. Each test posts over the
real app and database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from core.app import create_app
from core.config import Settings
from core.db import db
from core.launcher import ROOT, web_command
from outreach.models import Consent, Direction, Message
from tests.integration.conftest import Live
from tests.webhook_helpers import (
    CONTRACTOR_PHONE,
    SMS_PATH,
    STATUS_PATH,
    inbound_sms,
    message_sid,
    post_twilio,
    resplits,
    signed_string,
    status_params,
)


def _inbound_count() -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.direction == Direction.INBOUND)
            )
            or 0
        )


def _opted_out(address: str) -> bool:
    with db.session() as session:
        consent = session.scalar(select(Consent).where(Consent.address == address))
        return consent is not None and consent.opted_out


def test_twilio_sms_resplit_variants_of_one_captured_request_store_no_second_message(
    client: FlaskClient, settings: Settings
) -> None:
    captured = inbound_sms("4 all good")
    assert post_twilio(client, settings, SMS_PATH, captured).status_code == 200
    url = settings.public_base_url + SMS_PATH
    variants = resplits(captured)
    # The attack holds: every variant signs exactly like the captured request.
    assert all(signed_string(url, v) == signed_string(url, captured) for v in variants)
    assert len(variants) >= 6

    answers = [post_twilio(client, settings, SMS_PATH, v).status_code for v in variants]
    replayed = post_twilio(client, settings, SMS_PATH, captured).status_code

    # A variant that keeps the sid (a place name swallowing the next one) is a repeat of the
    # stored message and changes nothing; every other one is refused.
    assert _inbound_count() == 1, answers
    assert set(answers) <= {200, 400, 403}
    assert replayed == 200  # the exact repeat is a retry: answered, deduplicated
    print(f"re-split variants: {len(variants)}, accepted as new: {_inbound_count() - 1}")


def test_twilio_sms_start_replayed_after_stop_keeps_the_number_opted_out(
    client: FlaskClient, settings: Settings
) -> None:
    start = inbound_sms("START")
    assert post_twilio(client, settings, SMS_PATH, start).status_code == 200
    assert post_twilio(client, settings, SMS_PATH, inbound_sms("STOP")).status_code == 200
    assert _opted_out(CONTRACTOR_PHONE)

    for variant in [start, *resplits(start)]:
        post_twilio(client, settings, SMS_PATH, variant)

    assert _opted_out(CONTRACTOR_PHONE)
    assert _inbound_count() == 2


def test_twilio_sms_message_sid_that_swallowed_the_next_parameter_gets_400_naming_it(
    client: FlaskClient, settings: Settings
) -> None:
    captured = inbound_sms("3")
    recut = {k: v for k, v in captured.items() if k != "NumMedia"}
    recut["MessageSid"] = captured["MessageSid"] + "NumMedia0"
    # MessageSid < MessagingServiceSid < NumMedia: without a service, NumMedia follows it.
    url = settings.public_base_url + SMS_PATH
    assert signed_string(url, recut) == signed_string(url, captured)

    answer = post_twilio(client, settings, SMS_PATH, recut)

    assert answer.status_code == 400
    assert b"MessageSid" in answer.data
    assert _inbound_count() == 0


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"SmsSid": "SM" + "0" * 32}, "SmsSid", 400),
        ({"SmsMessageSid": "SM" + "1" * 32}, "SmsMessageSid", 400),
        ({"AccountSid": "AC" + "f" * 32}, "AccountSid", 403),
        ({"To": "+15005550099"}, "To", 403),
        ({"MessageSid": "SM" + "x" * 32}, "MessageSid", 400),
        ({"ApiVersion": "2010-04-01ErrorCode"}, "ApiVersion", 400),
        ({"NumMedia": "1"}, "MediaUrl0", None),  # stands for a media count without URLs
    ],
)
def test_twilio_sms_implausible_parameter_set_gets_refused_naming_the_field(
    client: FlaskClient, settings: Settings, change: dict[str, str], field: str, status: int | None
) -> None:
    params = {**inbound_sms("5"), **change}
    if status is None:  # media URL beyond NumMedia
        params = {**inbound_sms("5"), "MediaUrl0": "https://api.twilio.com/x"}
        params["NumMedia"] = "0"
        status = 400

    answer = post_twilio(client, settings, SMS_PATH, params)

    assert answer.status_code == status
    assert field.encode() in answer.data
    assert _inbound_count() == 0


def test_twilio_sms_through_our_messaging_service_is_taken_on_any_pool_number(
    app: Flask, settings: Settings
) -> None:
    service = "MG" + "a" * 32
    client = _app_with(settings, twilio_messaging_service_sid=service).test_client()
    params = {**inbound_sms("4"), "To": "+15005550123", "MessagingServiceSid": service}

    assert post_twilio(client, settings, SMS_PATH, params).status_code == 200
    assert _inbound_count() == 1
    foreign = {**params, "MessageSid": message_sid(), "MessagingServiceSid": "MG" + "e" * 32}
    foreign["SmsSid"] = foreign["SmsMessageSid"] = foreign["MessageSid"]
    answer = post_twilio(client, settings, SMS_PATH, foreign)
    assert answer.status_code == 403
    assert b"MessagingServiceSid" in answer.data


def test_twilio_sms_repeated_parameter_gets_400(client: FlaskClient, settings: Settings) -> None:
    pairs = [*inbound_sms("4").items(), ("Body", "4")]

    answer = post_twilio(client, settings, SMS_PATH, pairs)

    assert answer.status_code == 400
    assert b"Body" in answer.data


def test_twilio_status_callback_query_that_swallowed_a_parameter_gets_400(
    client: FlaskClient, settings: Settings
) -> None:
    sid = message_sid()
    captured = status_params(sid, "delivered")
    url = settings.public_base_url + STATUS_PATH + "?m=42"
    first = sorted(captured)[0]
    recut = {k: v for k, v in captured.items() if k != first}
    recut_query = f"m=42{first}{captured[first]}"
    assert signed_string(settings.public_base_url + STATUS_PATH + "?" + recut_query, recut) == (
        signed_string(url, captured)
    )

    answer = post_twilio(client, settings, STATUS_PATH, recut, query=recut_query)

    assert answer.status_code == 400
    assert b"AccountSid" in answer.data or b"m:" in answer.data


def test_twilio_status_callback_resplit_variants_change_no_status(
    client: FlaskClient, settings: Settings, session: Session
) -> None:
    sid = message_sid()
    message = Message(
        direction=Direction.OUTBOUND,
        channel="sms",
        provider_id=sid,
        from_address="+15005550006",
        to_address=CONTRACTOR_PHONE,
        body="How is it going?",
        status="sent",
    )
    session.add(message)
    session.commit()
    captured = status_params(sid, "failed", error_code="30003")

    answers = [
        post_twilio(client, settings, STATUS_PATH, v, query=f"m={message.id}").status_code
        for v in resplits(captured)
    ]

    session.refresh(message)
    assert message.status == "sent" and message.error_code is None
    assert set(answers) <= {400, 403}


@pytest.mark.parametrize(
    ("path", "params", "query", "field"),
    [
        (SMS_PATH, {"MessageSid": "SM" + "a" * 300}, "", "MessageSid"),
        (SMS_PATH, {"From": "+1" + "4" * 400}, "", "From"),
        (SMS_PATH, {"Body": "4 fine\x00DROP"}, "", "Body"),
        (SMS_PATH, {"Body": "x" * 5000}, "", "Body"),
        (STATUS_PATH, {"ErrorCode": "3" * 40}, "m=1", "ErrorCode"),
        (STATUS_PATH, {"MessageStatus": "exploded"}, "m=1", "MessageStatus"),
        (STATUS_PATH, {}, "m=" + "9" * 400, "m"),
        (STATUS_PATH, {}, "m=%C2%B2", "m"),  # a superscript two: isdigit() says yes
        (STATUS_PATH, {}, "m=4294967296", "m"),
    ],
)
def test_twilio_signed_but_malformed_value_gets_400_naming_the_field(
    client: FlaskClient,
    settings: Settings,
    path: str,
    params: dict[str, str],
    query: str,
    field: str,
) -> None:
    sid = message_sid()
    base = inbound_sms("4", sid=sid) if path == SMS_PATH else status_params(sid, "delivered")
    if "MessageSid" in params:
        base["SmsSid"] = base["SmsMessageSid"] = params["MessageSid"]

    answer = post_twilio(client, settings, path, {**base, **params}, query=query)

    assert answer.status_code == 400
    assert f"{field}:".encode() in answer.data


def test_twilio_sms_full_width_stop_opts_the_number_out(
    client: FlaskClient, settings: Settings
) -> None:
    wide_stop = "".join(chr(ord(c) + 0xFEE0) for c in "STOP") + " \U0001f6d1"

    answer = post_twilio(client, settings, SMS_PATH, inbound_sms(wide_stop))

    assert answer.status_code == 200
    assert b"unsubscribed" in answer.data
    assert _opted_out(CONTRACTOR_PHONE)


# -- the URL that was signed ------------------------------------------------------------------


def _app_with(settings: Settings, **changes: object) -> Flask:
    return create_app({"SETTINGS": dataclasses.replace(settings, **changes), "TESTING": True})


def test_twilio_sms_signed_for_the_host_the_client_sent_gets_403(
    client: FlaskClient, settings: Settings
) -> None:
    params = inbound_sms("4")
    forged_url = "http://attacker.example" + SMS_PATH

    answer = post_twilio(
        client,
        settings,
        SMS_PATH,
        params,
        signed_url=forged_url,
        base_url="http://attacker.example",
    )

    assert answer.status_code == 403
    assert _inbound_count() == 0


@pytest.mark.parametrize("signature", ["caf\u00e9", "\u00ff" * 28, "=" * 200])
def test_twilio_sms_with_a_garbled_signature_gets_403(
    client: FlaskClient, settings: Settings, signature: str
) -> None:
    answer = post_twilio(client, settings, SMS_PATH, inbound_sms("4"), signature=signature)

    assert answer.status_code == 403
    assert _inbound_count() == 0


def test_twilio_sms_forwarded_headers_are_ignored_without_trust_proxy(
    client: FlaskClient, settings: Settings
) -> None:
    forged_url = "https://attacker.example" + SMS_PATH
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "attacker.example"}

    answer = post_twilio(
        client, settings, SMS_PATH, inbound_sms("4"), signed_url=forged_url, headers=headers
    )

    assert answer.status_code == 403


@pytest.fixture
def proxied(app: Flask, settings: Settings) -> Iterator[tuple[FlaskClient, Settings]]:
    proxy_settings = dataclasses.replace(
        settings, trust_proxy=True, public_base_url="https://pulse.example.com:8443"
    )
    yield _app_with(proxy_settings).test_client(), proxy_settings


def test_twilio_sms_behind_trusted_proxy_port_only_in_x_forwarded_port_is_honoured(
    proxied: tuple[FlaskClient, Settings],
) -> None:
    client, proxy_settings = proxied
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "pulse.example.com",
        "X-Forwarded-Port": "8443",
    }

    answer = post_twilio(client, proxy_settings, SMS_PATH, inbound_sms("4"), headers=headers)

    assert answer.status_code == 200
    assert _inbound_count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        # Signed for https, but the proxy says it came in over http.
        {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "pulse.example.com:8443"},
        # Signed for port 8443, but the proxy says 443.
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "pulse.example.com"},
        {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "other.example",
            "X-Forwarded-Port": "8443",
        },
    ],
)
def test_twilio_sms_behind_trusted_proxy_that_saw_another_url_gets_403(
    proxied: tuple[FlaskClient, Settings], headers: dict[str, str]
) -> None:
    client, proxy_settings = proxied

    answer = post_twilio(client, proxy_settings, SMS_PATH, inbound_sms("4"), headers=headers)

    assert answer.status_code == 403
    assert _inbound_count() == 0


# -- gunicorn ---------------------------------------------------------------------------------


def _scheme_seen(settings: Settings, port: int) -> str:
    command = web_command(settings, port)
    command[-1] = "tests.scheme_echo:app"  # the same server and flags, an app that tells
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = requests.get(
                    f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"}, timeout=2
                )
                return answer.text
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("trust_proxy", "scheme"), [(False, "http"), (True, "https")])
def test_gunicorn_from_launcher_takes_x_forwarded_proto_only_with_trust_proxy(
    trust_proxy: bool, scheme: str
) -> None:
    settings = Settings.from_env({}, secret_key="x" * 40, trust_proxy=trust_proxy)

    assert _scheme_seen(settings, _free_port()) == scheme


@pytest.mark.parametrize("sender", ["+447700900123", "whatsapp:+14155550101", "rcs:brand_agent"])
def test_twilio_sms_from_any_channel_address_twilio_uses_is_stored(
    client: FlaskClient, settings: Settings, sender: str
) -> None:
    answer = post_twilio(client, settings, SMS_PATH, inbound_sms("4 fine", from_=sender))

    assert answer.status_code == 200
    assert _inbound_count() == 1


def test_twilio_sms_start_recut_over_http_after_a_stop_is_refused(live: Live) -> None:
    """The attack as it was run: a START captured off the wire, re-cut and posted to a real
    server after the contractor sent STOP."""
    phone = "+14155550188"
    assert live.sandbox.reply(phone, "START") == 200
    captured = live.sandbox.replies()[-1]["params"]
    assert live.sandbox.reply(phone, "STOP") == 200
    url = live.url + SMS_PATH
    token = live.app.config["SETTINGS"].twilio_auth_token
    signature = RequestValidator(token).compute_signature(url, captured)

    answers = [
        requests.post(url, data=variant, headers={"X-Twilio-Signature": signature}, timeout=10)
        for variant in resplits(captured)
    ]

    assert {a.status_code for a in answers} <= {200, 400, 403}
    assert _opted_out(phone)
    assert _inbound_count() == 2
