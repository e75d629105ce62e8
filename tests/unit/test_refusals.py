"""decide(): what a provider's refusal means for a send, by exception type and provider code."""

from __future__ import annotations

import http.client
import urllib.error
from datetime import UTC, datetime, timedelta

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from outreach.channels import ChannelError, Failure
from outreach.delivery.refusals import (
    BACKOFF_MAX,
    MAX_SEND_ATTEMPTS,
    Verdict,
    backoff,
    decide,
    provider_may_have_it,
)

AT = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def _error(
    failure: Failure = Failure.RETRY,
    *,
    cause: BaseException | None = None,
    code: str | None = None,
    retry_after: float | None = None,
) -> ChannelError:
    error = ChannelError("refused", failure=failure, code=code, retry_after=retry_after)
    error.__cause__ = cause
    return error


def _refused_connection() -> requests.ConnectionError:
    # What requests raises when nothing listens: MaxRetryError(reason=NewConnectionError).
    new = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    new.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/", reason=new))  # type: ignore[arg-type]


def test_decide_retry_after_is_honoured_exactly_and_pauses_the_sender() -> None:
    decision = decide(_error(code="20429", retry_after=2.0), 0, at=AT)

    assert decision.verdict is Verdict.RETRY
    assert decision.retry_at == AT + timedelta(seconds=2)
    assert decision.pause_sender == 2.0
    assert decision.attempts == 1


@pytest.mark.parametrize(("attempt", "seconds"), [(0, 15), (1, 30), (3, 120)])
def test_decide_retry_without_retry_after_backs_off_with_full_jitter(
    attempt: int, seconds: int
) -> None:
    decision = decide(_error(code="20500"), attempt, at=AT, rng=lambda: 0.5)

    assert decision.verdict is Verdict.RETRY
    assert decision.retry_at == AT + timedelta(seconds=seconds)
    assert decision.pause_sender is None


def test_backoff_is_capped_at_an_hour() -> None:
    assert backoff(30, rng=lambda: 1.0) == BACKOFF_MAX


def test_decide_last_allowed_attempt_fails() -> None:
    decision = decide(_error(code="20503"), MAX_SEND_ATTEMPTS - 1, at=AT)

    assert decision.verdict is Verdict.FAILED
    assert decision.attempts == MAX_SEND_ATTEMPTS


@pytest.mark.parametrize(
    ("failure", "verdict"),
    [
        (Failure.OPTED_OUT, Verdict.OPTED_OUT),
        (Failure.BAD_ADDRESS, Verdict.BAD_ADDRESS),
        (Failure.REJECTED, Verdict.FAILED),
    ],
)
def test_decide_permanent_refusal_is_never_retried(failure: Failure, verdict: Verdict) -> None:
    decision = decide(_error(failure, code="21610"), 0, at=AT)

    assert decision.verdict is verdict
    assert decision.retry_at is None
    assert decision.attempts == 0


@pytest.mark.parametrize(
    "cause",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError(ProtocolError("aborted", http.client.RemoteDisconnected())),
        TimeoutError("timed out"),
        http.client.RemoteDisconnected("Remote end closed connection without response"),
        # The words do not decide: a reset whose text mentions a refusal is still a reset.
        requests.ConnectionError(ProtocolError("Connection refused?", ConnectionResetError())),
    ],
)
def test_decide_no_answer_after_the_request_left_is_unknown(cause: BaseException) -> None:
    error = _error(cause=cause)

    assert provider_may_have_it(error)
    assert decide(error, 0, at=AT).verdict is Verdict.UNKNOWN


@pytest.mark.parametrize(
    "cause",
    [
        _refused_connection(),
        requests.ConnectTimeout("connect timed out"),
        urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
    ],
)
def test_decide_request_that_never_left_is_retried(cause: BaseException) -> None:
    decision = decide(_error(cause=cause), 0, at=AT, rng=lambda: 0.0)

    assert decision.verdict is Verdict.RETRY
    assert decision.retry_at == AT


def test_decide_refusal_with_a_provider_code_is_certain() -> None:
    error = _error(cause=requests.ReadTimeout("late"), code="20429")

    assert not provider_may_have_it(error)
    assert decide(error, 0, at=AT).verdict is Verdict.RETRY
