"""Fakes that implement the real interfaces, for tests that need no provider at all."""

from __future__ import annotations

from collections import deque

from outreach.channels import ChannelError, OutboundMessage, SendResult


class FakeChannel:
    """A Channel that records what it was asked to send and fails when told to."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[OutboundMessage] = []
        self.failures: deque[ChannelError] = deque()

    def fail_next(self, error: ChannelError) -> None:
        self.failures.append(error)

    def send(self, message: OutboundMessage) -> SendResult:
        if self.failures:
            raise self.failures.popleft()
        self.sent.append(message)
        return SendResult(
            provider_id=f"{self.name}-{len(self.sent)}-{message.message_id}", status="queued"
        )
