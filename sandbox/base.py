"""What every part of the sandbox shares: the records, the lock, and posting to the app."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.wrappers import Response

from core.clock import now

# Twilio gives a webhook 15 s for the whole response.
WEBHOOK_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Fault:
    """One injected failure: what the next send on a channel is answered with."""

    status: int
    code: int | None
    message: str
    retry_after: float | None


class SandboxState:
    """The state the Twilio and SendGrid stand-ins, the faults and the contractor player share.

    Set up by :class:`sandbox.server.Sandbox`; declared here so each part can be read (and
    type-checked) on its own.
    """

    auth_token: str
    api_key: str
    app_url: str | None
    inbound_secret: str | None
    auto_callbacks: bool
    event_key: ec.EllipticCurvePrivateKey
    _lock: threading.Lock
    _sms: list[dict[str, Any]]
    _emails: list[dict[str, Any]]
    _rejected: list[dict[str, Any]]
    _replies: list[dict[str, Any]]
    _faults: dict[str, deque[Fault]]
    _delays: dict[str, deque[float]]
    _latency: dict[str, float]
    _in_flight: int
    _posters: list[threading.Thread]

    def _post_later(self, job: Callable[[str], object], key: str) -> None:
        poster = threading.Thread(target=self._quietly, args=(job, key), daemon=True)
        with self._lock:
            self._posters = [p for p in self._posters if p.is_alive()] + [poster]
        poster.start()

    def _quietly(self, job: Callable[[str], object], key: str) -> None:
        # What a provider posts after the fact is best effort: it never fails a send.
        with contextlib.suppress(OSError, LookupError):
            job(key)


def json_response(payload: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload), status=status, mimetype="application/json", headers=headers
    )


def send(request: urllib.request.Request) -> int:
    return exchange(request)[0]


def exchange(request: urllib.request.Request) -> tuple[int, str]:
    """The app's status and body: Twilio texts a TwiML <Message> answer back to the sender."""
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as answer:  # noqa: S310
            return int(answer.status), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code), ""


def epoch() -> float:
    return now().timestamp()
