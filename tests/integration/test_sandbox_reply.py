"""The sandbox playing a contractor: signed webhooks posted over real HTTP to a recording app."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from core.config import Settings
from outreach.channels import OutboundMessage
from outreach.channels.twilio_sms import SANDBOX_ACCOUNT_SID, TwilioSMS
from sandbox import Sandbox

TOKEN = "reply-test-token"
CONTRACTOR = "+15551230002"


class RecordingApp:
    """A stand-in for our web app that keeps every request it is sent and answers TwiML."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[dict[str, Any]] = []
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append(
            {
                "url": request.url,
                "path": request.path,
                "form": request.form.to_dict(),
                "signature": request.headers.get("X-Twilio-Signature", ""),
            }
        )
        response = Response("<Response/>", status=self.status, mimetype="text/xml")
        return response(environ, start_response)


@pytest.fixture
def app() -> Iterator[RecordingApp]:
    recording = RecordingApp()
    recording.thread.start()
    yield recording
    recording.server.shutdown()
    recording.server.server_close()


@pytest.fixture
def sandbox(app: RecordingApp) -> Iterator[Sandbox]:
    with Sandbox(auth_token=TOKEN, app_url=app.url) as running:
        yield running


def test_sandbox_reply_is_signed_so_request_validator_accepts_it(
    sandbox: Sandbox, app: RecordingApp
) -> None:
    status = sandbox.reply(CONTRACTOR, "4 - but my timecard is still not approved")

    assert status == 200
    [got] = app.requests
    assert got["path"] == "/webhooks/twilio/sms"
    assert got["url"] == f"{app.url}/webhooks/twilio/sms"
    assert RequestValidator(TOKEN).validate(got["url"], got["form"], got["signature"])
    assert not RequestValidator("another-token").validate(got["url"], got["form"], got["signature"])
    form = got["form"]
    assert form["Body"] == "4 - but my timecard is still not approved"
    assert form["From"] == CONTRACTOR
    assert form["MessageSid"] == form["SmsSid"] and len(form["MessageSid"]) == 34
    assert form["MessageSid"].startswith("SM")
    assert form["AccountSid"] == SANDBOX_ACCOUNT_SID
    assert form["NumMedia"] == "0" and form["NumSegments"] == "1"
    assert form["ApiVersion"] == "2010-04-01"
    assert form["FromCountry"] == "US"
    assert sandbox.replies()[0]["status"] == 200


def test_sandbox_reply_signature_breaks_if_a_param_is_changed(
    sandbox: Sandbox, app: RecordingApp
) -> None:
    sandbox.reply(CONTRACTOR, "5")
    got = app.requests[0]

    tampered = {**got["form"], "Body": "1"}

    assert not RequestValidator(TOKEN).validate(got["url"], tampered, got["signature"])


def test_sandbox_reply_goes_to_the_number_that_texted_the_contractor(
    sandbox: Sandbox, app: RecordingApp
) -> None:
    settings = Settings.from_env(
        {},
        secret_key="test",
        environment="test",
        sandbox_url=sandbox.url,
        twilio_auth_token=TOKEN,
        twilio_from_number="+15005550009",
    )
    TwilioSMS(settings).send(OutboundMessage(to=CONTRACTOR, body="How's it going?", message_id=1))

    sandbox.reply(CONTRACTOR, "great")

    assert app.requests[0]["form"]["To"] == "+15005550009"


def test_sandbox_reply_repeats_a_message_sid_when_asked(
    sandbox: Sandbox, app: RecordingApp
) -> None:
    sid = "SM" + "ab" * 16

    sandbox.reply(CONTRACTOR, "3", message_sid=sid)
    sandbox.reply(CONTRACTOR, "3", message_sid=sid)

    assert [r["form"]["MessageSid"] for r in app.requests] == [sid, sid]


def test_sandbox_reply_reports_the_app_status(app: RecordingApp) -> None:
    app.status = 403
    with Sandbox(auth_token=TOKEN, app_url=app.url) as sandbox:
        assert sandbox.reply(CONTRACTOR, "hi") == 403


def test_sandbox_reply_without_app_url_says_so() -> None:
    with (
        Sandbox(auth_token=TOKEN) as sandbox,
        pytest.raises(RuntimeError, match="app_url"),
    ):
        sandbox.reply(CONTRACTOR, "hi")


def test_sandbox_reply_endpoint_posts_a_signed_reply(sandbox: Sandbox, app: RecordingApp) -> None:
    answer = requests.post(
        f"{sandbox.url}/_sandbox/reply", json={"from": CONTRACTOR, "body": "STOP"}, timeout=5
    )

    assert answer.status_code == 200
    assert answer.json()["status"] == 200
    got = app.requests[0]
    assert got["form"]["Body"] == "STOP"
    assert got["form"]["MessageSid"] == answer.json()["message_sid"]
    assert RequestValidator(TOKEN).validate(got["url"], got["form"], got["signature"])


@pytest.mark.parametrize(
    ("payload", "named"),
    [({"body": "hi"}, "from"), ({"from": CONTRACTOR}, "body"), ({"from": 1, "body": "x"}, "from")],
)
def test_sandbox_reply_endpoint_names_the_missing_field(
    sandbox: Sandbox, app: RecordingApp, payload: dict[str, object], named: str
) -> None:
    answer = requests.post(f"{sandbox.url}/_sandbox/reply", json=payload, timeout=5)

    assert answer.status_code == 400
    assert f"'{named}'" in answer.json()["error"]
    assert app.requests == []


def test_sandbox_status_callback_is_signed_over_the_url_with_its_query(
    sandbox: Sandbox, app: RecordingApp
) -> None:
    settings = Settings.from_env(
        {},
        secret_key="test",
        environment="test",
        sandbox_url=sandbox.url,
        twilio_auth_token=TOKEN,
        public_base_url=app.url,
    )
    sent = TwilioSMS(settings).send(OutboundMessage(to=CONTRACTOR, body="Hi", message_id=42))

    status = sandbox.status_callback(sent.provider_id, "delivered")

    assert status == 200
    got = app.requests[0]
    assert got["url"] == f"{app.url}/webhooks/twilio/status?m=42"
    assert got["form"]["MessageStatus"] == "delivered"
    assert got["form"]["MessageSid"] == sent.provider_id
    assert RequestValidator(TOKEN).validate(got["url"], got["form"], got["signature"])
