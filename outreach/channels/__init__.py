"""One module per provider, each behind the same small interface.

Delivery code speaks only :class:`Channel`; whether the other end is Twilio, SendGrid or the
local sandbox is a matter of configuration, not of code paths.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from core.config import Settings


class Failure(StrEnum):
    """What a provider error means for us, whatever the provider's own code was."""

    RETRY = "retry"  # rate limited, 5xx, timeout: try again later
    OPTED_OUT = "opted_out"  # the recipient unsubscribed at the provider (Twilio 21610)
    BAD_ADDRESS = "bad_address"  # invalid or non-mobile number, hard bounce
    REJECTED = "rejected"  # anything else permanent: do not retry, tell a human


@dataclass(frozen=True)
class OutboundMessage:
    to: str
    body: str
    message_id: int  # our Message row; rides along as status-callback id / custom arg
    subject: str | None = None
    html: str | None = None
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    invitation_id: int | None = None


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    status: str
    segments: int = 1


class ChannelError(Exception):
    def __init__(
        self,
        message: str,
        *,
        failure: Failure,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.failure = failure
        self.code = code
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.failure is Failure.RETRY


class Channel(Protocol):
    name: str

    def send(self, message: OutboundMessage) -> SendResult:
        """Hand one message to the provider.

        Raises:
            ChannelError: the provider refused or could not be reached.
        """
        ...


def channels_for(settings: Settings) -> dict[str, Channel]:
    """The provider channels by name ("sms", "email"), pointed where ``settings`` say."""
    # Imported here so the protocol module stays free of the provider SDKs.
    from outreach.channels.sendgrid_email import SendGridEmail
    from outreach.channels.twilio_sms import TwilioSMS

    return {"sms": TwilioSMS(settings), "email": SendGridEmail(settings)}


_Send = TypeVar("_Send", bound=Callable[[Any, OutboundMessage], SendResult])


def counted(send: _Send) -> _Send:
    """For a provider channel's ``send``: count every send (``pulse_sends_total``), accepted
    or what the provider's refusal means (retry, opted_out, bad_address, rejected) with its
    error code."""

    @functools.wraps(send)
    def counting(channel: Any, message: OutboundMessage) -> SendResult:
        from core import metrics

        try:
            result = send(channel, message)
        except ChannelError as exc:
            metrics.count_send(channel.name, exc.failure.value, exc.code)
            raise
        metrics.count_send(channel.name, "accepted")
        return result

    return cast(_Send, counting)
