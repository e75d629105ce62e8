"""A local stand-in for Twilio's Messages API and SendGrid's Mail Send, over real HTTP.

The real SDKs talk to it exactly as they talk to the providers. It checks every request against
the providers' official OpenAPI descriptions (``specs/``), records what it accepted, can fail
on purpose, and can play a contractor by posting correctly signed webhooks back to the app.

In tests::

    with Sandbox(auth_token=settings.twilio_auth_token, app_url=app_url) as sandbox:
        ...  # Settings(sandbox_url=sandbox.url) makes TwilioSMS/SendGridEmail send here

For a person running the service (``make run`` starts it)::

    python -m sandbox --port 5055 --app-url http://127.0.0.1:5000
    curl -s localhost:5055/_sandbox/messages
    curl -s localhost:5055/_sandbox/reply -H 'Content-Type: application/json' \\
        -d '{"from": "+15551234567", "body": "4 - timecard still not approved"}'
    curl -s localhost:5055/_sandbox/email-reply -H 'Content-Type: application/json' \\
        -d '{"from": "rosa@example.com", "text": "2 - badge still not working"}'
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from outreach.channels.sendgrid_email import SANDBOX_API_KEY, sandbox_event_key
from sandbox.base import WEBHOOK_TIMEOUT_SECONDS, Fault, json_response
from sandbox.hooks import HookStandIns
from sandbox.player import ContractorPlayer
from sandbox.sendgrid_api import SendGridAPI
from sandbox.specs import MESSAGES_PATH, mail_send_spec, twilio_messages_spec
from sandbox.twilio_api import TwilioAPI, twilio_error


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Sandbox(TwilioAPI, SendGridAPI, ContractorPlayer, HookStandIns):
    """Twilio Messages + SendGrid Mail Send + Slack and Teams incoming webhooks on 127.0.0.1,
    recording what they were sent."""

    def __init__(
        self,
        *,
        auth_token: str,
        app_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = SANDBOX_API_KEY,
        log_requests: bool = False,
        auto_callbacks: bool = False,
        event_key_seed: str | None = None,
        inbound_secret: str | None = None,
    ) -> None:
        """
        Args:
            auto_callbacks: after accepting a message, post what the provider would: signed
                Twilio status callbacks (sent, delivered) and signed SendGrid events
                (processed, delivered) to the app.
            event_key_seed: what the Event Webhook signing key is derived from (default: the
                auth token); the app derives the same public key (see :func:`sandbox_event_key`).
            inbound_secret: the secret in the app's Inbound Parse URL
                (``SENDGRID_INBOUND_SECRET``); without it the sandbox cannot send email replies.
        """
        self.auth_token = auth_token
        self.inbound_secret = inbound_secret
        self.auto_callbacks = auto_callbacks
        self.event_key = sandbox_event_key(event_key_seed or auth_token)
        self._latency: dict[str, float] = {"sms": 0.0, "email": 0.0}
        self._in_flight = 0
        self._posters: list[threading.Thread] = []
        self.api_key = api_key
        self.app_url = app_url.rstrip("/") if app_url else None
        self.host = host
        self.port = port
        self.url = ""
        self._log_requests = log_requests
        self._lock = threading.Lock()
        self._sms: list[dict[str, Any]] = []
        self._emails: list[dict[str, Any]] = []
        self._rejected: list[dict[str, Any]] = []
        self._replies: list[dict[str, Any]] = []
        self._hooks: list[dict[str, Any]] = []
        self._hook_faults: dict[str, deque[int]] = {"slack": deque(), "teams": deque()}
        self._faults: dict[str, deque[Fault]] = {"sms": deque(), "email": deque()}
        self._delays: dict[str, deque[float]] = {"sms": deque(), "email": deque()}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._urls = Map(
            [
                Rule(MESSAGES_PATH.replace("{AccountSid}", "<account_sid>"), endpoint="sms"),
                Rule("/v3/mail/send", endpoint="mail"),
                Rule("/_sandbox/messages", endpoint="messages", methods=["GET"]),
                Rule("/_hooks/slack/<hook_id>", endpoint="slack"),
                Rule("/_hooks/teams/<hook_id>", endpoint="teams"),
                Rule("/_sandbox/hooks", endpoint="hooks", methods=["GET"]),
                Rule("/_sandbox/reply", endpoint="reply", methods=["POST"]),
                Rule("/_sandbox/email-reply", endpoint="email_reply", methods=["POST"]),
                Rule("/_sandbox/reset", endpoint="reset", methods=["POST"]),
                Rule("/_sandbox/health", endpoint="health", methods=["GET"]),
                Rule("/_sandbox/event-webhook-key", endpoint="event_key", methods=["GET"]),
            ]
        )

    # lifecycle

    def start(self) -> Sandbox:
        twilio_messages_spec()
        mail_send_spec()
        self._server = make_server(
            self.host,
            self.port,
            self._wsgi,
            threaded=True,
            request_handler=None if self._log_requests else _QuietHandler,
        )
        self.url = f"http://{self.host}:{self._server.server_port}"
        # A short poll keeps stop() quick: shutdown() waits for the loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="provider-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        for poster in list(self._posters):
            poster.join(WEBHOOK_TIMEOUT_SECONDS)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # what it saw

    def sms(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._sms]

    def emails(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._emails]

    def rejected(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._rejected]

    def replies(self) -> list[dict[str, Any]]:
        """Inbound webhooks this sandbox posted to the app, with the app's HTTP status."""
        with self._lock:
            return [dict(m) for m in self._replies]

    def reset(self) -> None:
        with self._lock:
            for records in (self._sms, self._emails, self._rejected, self._replies, self._hooks):
                records.clear()
            for waiting in self._hook_faults.values():
                waiting.clear()
            for faults in self._faults.values():
                faults.clear()
            for delays in self._delays.values():
                delays.clear()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        request = Request(environ)
        adapter = self._urls.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            response = getattr(self, f"_on_{endpoint}")(request, **args)
        except HTTPException as exc:
            status = exc.code or 500
            response = twilio_error(status, 20404 if status == 404 else None, str(exc.description))
        return response(environ, start_response)

    def _on_event_key(self, request: Request) -> Response:
        return json_response({"public_key": self.event_public_key}, 200)

    def _on_health(self, request: Request) -> Response:
        return json_response({"status": "ok"}, 200)

    def _on_messages(self, request: Request) -> Response:
        with self._lock:
            payload = {
                "sms": list(self._sms),
                "emails": list(self._emails),
                "replies": list(self._replies),
                "hooks": list(self._hooks),
                "rejected": list(self._rejected),
            }
        return json_response(payload, 200)

    def _on_reset(self, request: Request) -> Response:
        self.reset()
        return json_response({"status": "ok"}, 200)
