"""Who we reach and what passed between us: contractors, consent, messages."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.db import Base
from core.types import UTCDateTime


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class Contractor(Base):
    __tablename__ = "contractors"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10), default=Channel.SMS)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    client: Mapped[str] = mapped_column(String(200), index=True)
    account_manager: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # The language we write to them in (en, es): from the roster, else learnt from replies.
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)

    def __repr__(self) -> str:
        return f"<Contractor {self.external_id} {self.name!r}>"


class Consent(Base):
    """What one address (a phone number or an email) has told us about being contacted."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # keyword, 21610, bounce, spamreport, unsubscribe_link, plain_language, staff
    source: Mapped[str | None] = mapped_column(String(40))
    opted_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An address the provider says cannot take messages (21211, 21614, hard bounce).
    invalid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invalid_reason: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None and (
            self.opted_in_at is None or self.opted_in_at < self.opted_out_at
        )


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


# messages.id is a 32-bit integer on PostgreSQL: an id from outside (a callback's ?m=, an
# event's message_id, an unsubscribe token) beyond it names no message and must not be queried.
MESSAGE_ID_MAX = 2**31 - 1


class Message(Base):
    """Every message in either direction. ``provider_id`` is unique: a retried webhook or a
    repeated status callback finds the row it already made instead of making another."""

    __tablename__ = "messages"
    __table_args__ = (
        # The drain job's question: which inbound messages still wait for processing?
        Index("ix_messages_pending", "direction", "processed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(10))
    provider_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"), index=True)
    from_address: Mapped[str] = mapped_column(String(320))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24))
    error_code: Mapped[str | None] = mapped_column(String(16))
    # What the provider sent us, kept whole: Twilio adds parameters without notice.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=now, server_default=func.current_timestamp()
    )
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=now)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    process_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    process_error: Mapped[str | None] = mapped_column(Text)


class ProviderEvent(Base):
    """A provider event we have acted on, kept so that a redelivered one changes nothing.

    SendGrid retries its Event Webhook and may repeat an event; ``sg_event_id`` is its key.
    """

    __tablename__ = "provider_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Campaign(Base):
    """A one-off send of a survey, on one day, to the contractors of a segment.

    Every criterion left empty matches everyone; tenure is counted in days from the
    assignment start to ``send_on``.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    send_on: Mapped[date] = mapped_column(Date, index=True)
    client: Mapped[str | None] = mapped_column(String(200))
    account_manager: Mapped[str | None] = mapped_column(String(200))
    tenure_min_days: Mapped[int | None] = mapped_column(Integer)
    tenure_max_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
