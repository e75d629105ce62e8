"""Failing on purpose: injected errors, held answers and steady latency, per channel."""

from __future__ import annotations

import time

from sandbox.base import Fault, SandboxState

# Defaults for injected Twilio failures: code -> (HTTP status, message).
TWILIO_FAULTS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "Invalid 'To' Phone Number"),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
}
TWILIO_CODE_FOR_STATUS = {401: 20003, 429: 20429, 500: 20500, 503: 20503}


class Faults(SandboxState):
    def fail_next(
        self,
        n: int = 1,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
        channel: str = "sms",
    ) -> None:
        """Answer the next ``n`` sends on ``channel`` ("sms" or "email") with an error.

        SMS: give a Twilio ``code`` (20429, 21610, 21211, 21614, 20500...) or an HTTP
        ``status``; the other is filled in. Email: give ``status`` (429, 500, 400...).
        ``retry_after`` sets Retry-After (Twilio) or X-RateLimit-Reset (SendGrid).
        """
        if channel not in self._faults:
            raise ValueError(f"channel must be 'sms' or 'email', not {channel!r}")
        if channel == "sms":
            if code is None:
                code = TWILIO_CODE_FOR_STATUS.get(status or 429)
            default_status, message = TWILIO_FAULTS.get(code or 0, (400, "Injected failure"))
            status = status or default_status
        else:
            status = status or 429
            code = None
            message = {429: "too many requests", 500: "internal server error"}.get(
                status, "injected failure"
            )
        fault = Fault(status=status, code=code, message=message, retry_after=retry_after)
        with self._lock:
            self._faults[channel].extend([fault] * n)

    def delay_next(self, n: int = 1, *, seconds: float, channel: str = "sms") -> None:
        """Hold the next ``n`` answers on ``channel`` for ``seconds`` (to provoke timeouts)."""
        with self._lock:
            self._delays[channel].extend([seconds] * n)

    def set_latency(self, seconds: float, *, channel: str = "sms") -> None:
        """Hold every answer on ``channel`` for ``seconds`` until changed (0 to stop)."""
        if channel not in self._latency:
            raise ValueError(f"channel must be 'sms' or 'email', not {channel!r}")
        with self._lock:
            self._latency[channel] = seconds

    def in_flight(self) -> int:
        """Requests held by latency right now: received, not yet recorded nor answered."""
        with self._lock:
            return self._in_flight

    def _take_fault(self, channel: str) -> Fault | None:
        with self._lock:
            delay = (
                self._delays[channel].popleft() if self._delays[channel] else self._latency[channel]
            )
            fault = self._faults[channel].popleft() if self._faults[channel] else None
        if delay:
            with self._lock:
                self._in_flight += 1
            try:
                time.sleep(delay)
            finally:
                with self._lock:
                    self._in_flight -= 1
        return fault
