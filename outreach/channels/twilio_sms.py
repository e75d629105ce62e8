"""SMS through Twilio's Messages API, with the real ``twilio`` SDK.

With no TWILIO_ACCOUNT_SID configured the SDK is pointed at the local sandbox
(:mod:`sandbox`), so the same code path runs on a fresh machine.
"""

from __future__ import annotations

import threading
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.clock import now
from core.config import Settings
from outreach.channels import ChannelError, Failure, OutboundMessage, SendResult

# GSM-7 and segment counting live with the templates; re-exported for existing callers.
from outreach.templates import GSM7_BASIC, GSM7_EXTENSION, count_segments  # noqa: F401

# What Twilio's error codes mean for us. Codes not listed fall back to the HTTP status below.
# https://www.twilio.com/docs/api/errors
ERROR_CODES: dict[int, Failure] = {
    20429: Failure.RETRY,  # too many requests
    21610: Failure.OPTED_OUT,  # the recipient texted STOP to this sender
    21211: Failure.BAD_ADDRESS,  # invalid 'To' number
    21614: Failure.BAD_ADDRESS,  # 'To' is not a mobile number
}
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Any sid of the right shape does for the sandbox; it checks the auth token, not the sid.
SANDBOX_ACCOUNT_SID = "AC" + "0" * 32

# Twilio itself gives webhooks 15 s; a send that takes longer than this is better retried.
REQUEST_TIMEOUT_SECONDS = 10.0


def failure_for(status: int, code: int | None) -> Failure:
    """Classify a Twilio error by its code first, then by its HTTP status."""
    if code is not None and code in ERROR_CODES:
        return ERROR_CODES[code]
    if status in RETRY_STATUSES or status >= 500:
        return Failure.RETRY
    return Failure.REJECTED


def parse_retry_after(value: str | None, at: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (at or now())).total_seconds())


class HeaderKeepingHttpClient(TwilioHttpClient):
    """TwilioHttpClient that remembers the last response headers of each thread.

    ``TwilioRestException`` carries status, code and message but not the response headers, so
    this is where Retry-After can be read after a 429.
    """

    def __init__(self, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self._local = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self._local.headers = {}
        response = super().request(*args, **kwargs)
        self._local.headers = response.headers or {}
        return response

    @property
    def last_headers(self) -> Any:
        return getattr(self._local, "headers", {})


class TwilioSMS:
    name = "sms"

    def __init__(
        self,
        settings: Settings,
        http_client: TwilioHttpClient | None = None,
        *,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self.settings = settings
        self._http = http_client or HeaderKeepingHttpClient(timeout=timeout)
        if settings.uses_twilio_sandbox:
            # A non-empty environment keeps TWILIO_EDGE/TWILIO_REGION from rewriting the host
            # (an empty one makes the SDK fall back to os.environ).
            self.client = Client(
                SANDBOX_ACCOUNT_SID,
                settings.twilio_auth_token,
                http_client=self._http,
                environment={"PULSE_TWILIO": "sandbox"},
            )
            self.client.api.base_url = settings.sandbox_url
        else:
            self.client = Client(
                settings.twilio_account_sid, settings.twilio_auth_token, http_client=self._http
            )

    def send(self, message: OutboundMessage) -> SendResult:
        sender: dict[str, str] = (
            {"messaging_service_sid": self.settings.twilio_messaging_service_sid}
            if self.settings.twilio_messaging_service_sid
            else {"from_": self.settings.twilio_from_number}
        )
        status_callback = (
            f"{self.settings.public_base_url}/webhooks/twilio/status?m={message.message_id}"
        )
        try:
            sent = self.client.messages.create(
                to=message.to, body=message.body, status_callback=status_callback, **sender
            )
        except TwilioRestException as exc:
            raise self._error(exc.status, exc.code, exc.msg) from exc
        except TwilioServiceException as exc:
            raise self._error(exc.status, exc.code, f"{exc.title}: {exc.detail}") from exc
        except requests.RequestException as exc:
            # Timeouts, refused or reset connections: Twilio may be fine a moment later.
            raise ChannelError(
                f"Twilio unreachable: {type(exc).__name__}: {exc}", failure=Failure.RETRY
            ) from exc
        return SendResult(
            provider_id=str(sent.sid),
            status=str(sent.status),
            # Through a Messaging Service Twilio reports 0 segments until it picks a sender.
            segments=int(sent.num_segments or 0) or count_segments(message.body),
        )

    def _error(self, status: int, code: int | None, text: str) -> ChannelError:
        failure = failure_for(status, code)
        retry_after = None
        if failure is Failure.RETRY and isinstance(self._http, HeaderKeepingHttpClient):
            retry_after = parse_retry_after(self._http.last_headers.get("Retry-After"))
        return ChannelError(
            f"Twilio refused the SMS (HTTP {status}, code {code}): {text}",
            failure=failure,
            code=None if code is None else str(code),
            retry_after=retry_after,
        )
