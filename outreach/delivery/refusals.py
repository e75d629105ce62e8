"""What a provider's refusal means for a send: one pure decision, one backoff.

Invitations, reminders and staff messages all ask :func:`decide`; each then applies the
verdict to its own row. The provider's answer is classified by the exception's type and the
provider's error code (see ``outreach.channels``), never by the text of the error.
"""

from __future__ import annotations

import random
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import requests
from urllib3.exceptions import NewConnectionError

from outreach.channels import ChannelError, Failure

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# Provider refusals that asked us to come back later (429, 5xx, connection refused), before
# the send is given up as failed. Expiry usually comes first.
MAX_SEND_ATTEMPTS = 8

# Errors raised before the request could leave this machine: the provider never saw it.
_NEVER_SENT: tuple[type[BaseException], ...] = (
    requests.ConnectTimeout,
    urllib.error.URLError,  # urllib (SendGrid's SDK) wraps connecting and writing, not reading
    NewConnectionError,
    ConnectionRefusedError,
)


class Verdict(StrEnum):
    RETRY = "retry"  # come back at ``retry_at``
    OPTED_OUT = "opted_out"  # the recipient told the provider to stop: record the opt-out
    BAD_ADDRESS = "bad_address"  # this address never works: mark it, try the other channel
    UNKNOWN = "unknown"  # the provider may have it: leave it for recovery, never resend blind
    FAILED = "failed"  # permanent, or out of attempts


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    # Refusals this send has had, this one included when it asked us to come back later.
    attempts: int = 0
    retry_at: datetime | None = None
    # Seconds the whole sender waits: Retry-After speaks of the account, not one message.
    pause_sender: float | None = None


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> timedelta:
    """Exponential backoff with full jitter before retry number ``attempt`` (1 for the first)."""
    ceiling = min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_MAX)
    return ceiling * rng()


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, what caused it, and what the SDKs wrapped inside it (urllib3's reason)."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        inner.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.extend(e for e in inner if isinstance(e, BaseException))


def provider_may_have_it(error: ChannelError) -> bool:
    """True when the request may have reached the provider although we got no answer.

    A refusal with a provider code or HTTP status, a refused connection or a connect timeout
    are certain: the provider did not take the message. A read timeout, or a connection reset
    after the request was written, are not.
    """
    if error.failure is not Failure.RETRY or error.code is not None:
        return False
    cause = error.__cause__
    if cause is None:
        return False
    return not any(isinstance(e, _NEVER_SENT) for e in _causes(cause))


def decide(
    error: ChannelError,
    attempt: int,
    *,
    at: datetime,
    rng: Callable[[], float] = random.random,
) -> Decision:
    """What to do after the provider refused a send.

    Args:
        attempt: how many refusals this send has had before this one.
        at: now, from the caller's clock.
    """
    if provider_may_have_it(error):
        return Decision(Verdict.UNKNOWN, attempt)
    if error.failure is Failure.OPTED_OUT:
        return Decision(Verdict.OPTED_OUT, attempt)
    if error.failure is Failure.BAD_ADDRESS:
        return Decision(Verdict.BAD_ADDRESS, attempt)
    if error.failure is not Failure.RETRY:
        return Decision(Verdict.FAILED, attempt)
    pause, attempts = error.retry_after, attempt + 1
    if attempts >= MAX_SEND_ATTEMPTS:
        return Decision(Verdict.FAILED, attempts, pause_sender=pause)
    # Exactly after the provider's Retry-After (the pacer spreads the crowd that comes back
    # then), otherwise full jitter.
    delay = timedelta(seconds=pause) if pause is not None else backoff(attempts, rng)
    return Decision(Verdict.RETRY, attempts, retry_at=at + delay, pause_sender=pause)
