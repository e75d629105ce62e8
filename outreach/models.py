"""Who we reach, what we ask them and what passed between us: contractors, consent, surveys,
invitations, messages, campaigns."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    # Two-letter US state whose quiet-hours rules apply (outreach/data/quiet_hours.toml), from
    # the roster's state column or its address; None: only the federal 08:00-20:00 bounds.
    state: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)

    def __repr__(self) -> str:
        return f"<Contractor {self.external_id} {self.name!r}>"


DEFAULT_ONBOARDING_DAYS = [3, 14, 30, 45]


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    scale_max: Mapped[int] = mapped_column(Integer, default=5)
    sms_template: Mapped[str] = mapped_column(Text)
    email_subject: Mapped[str] = mapped_column(String(200))
    email_template: Mapped[str] = mapped_column(Text)
    # Other languages' texts: {"es": {"sms_template": ..., "email_subject": ...,
    # "email_template": ...}}. A language left out is written from outreach.templates' default.
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON)
    # Days after the assignment start on which the survey goes out, then every
    # ``pulse_every_days`` until the assignment ends (no recurring pulse when null).
    onboarding_days: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_ONBOARDING_DAYS)
    )
    pulse_every_days: Mapped[int | None] = mapped_column(Integer)
    # Days before the assignment's end date on which the survey goes out (end-of-assignment).
    days_before_end: Mapped[int | None] = mapped_column(Integer)
    # Its steps and branches (see outreach.flows); null is the one-question survey.
    flow: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Local send window, "HH:MM"; clamped to the 08:00-20:00 hard bounds whatever is set.
    window_start: Mapped[str] = mapped_column(String(5), default="09:00")
    window_end: Mapped[str] = mapped_column(String(5), default="18:00")
    weekdays_only: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class InvitationStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    ANSWERED = "answered"
    EXPIRED = "expired"
    SKIPPED = "skipped"  # opted out or no usable address when its turn came


class HoldReason(StrEnum):
    """Why an invitation waited (deferred) or did not go (skipped) under the contact rules."""

    QUIET_HOURS = "quiet_hours"  # the contractor's state rules: deferred to the next open hour
    CONTACT_LIMIT = "contact_limit"  # N survey conversations in 30 days already: skipped


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("survey_id", "contractor_id", "due_on"),
        Index("ix_invitations_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=InvitationStatus.SCHEDULED)
    channel: Mapped[str] = mapped_column(String(10))
    reply_token: Mapped[str] = mapped_column(String(32), unique=True)
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    # Provider refusals that asked us to come back later (429, 5xx), and when to.
    send_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A HoldReason when the contact rules deferred or skipped it.
    hold_reason: Mapped[str | None] = mapped_column(String(20))

    survey: Mapped[Survey] = relationship()
    contractor: Mapped[Contractor] = relationship()


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
    # The outbound message that carried the opt-in confirmation to this address: claimed
    # (compare-and-set from null) before the send, so it goes once per address.
    confirmation_message_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None and (
            self.opted_in_at is None or self.opted_in_at < self.opted_out_at
        )


class ConsentChange(StrEnum):
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"
    CONFIRMATION_SENT = "confirmation_sent"  # the opt-in confirmation went on first contact
    INVALID = "invalid"  # the provider cannot deliver to the address


class ConsentSource(StrEnum):
    """How we learned of a consent change; what a carrier's reviewer asks to see."""

    ROSTER_IMPORT = "roster_import"
    WEB_FORM = "web_form"
    KEYWORD = "keyword"  # STOP/START and their family, English or Spanish
    PLAIN_LANGUAGE = "plain_language"  # "stop texting me"
    STAFF = "staff"
    PROVIDER_21610 = "21610"  # Twilio: the recipient had sent STOP to our number
    BOUNCE = "bounce"
    DROPPED = "dropped"
    SPAM_REPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"  # SendGrid's own unsubscribe events
    UNSUBSCRIBE_LINK = "unsubscribe_link"  # ours, RFC 8058 one-click
    PROVIDER = "provider"  # any other provider refusal that asked us to stop
    FIRST_CONTACT = "first_contact"


class ConsentEvent(Base):
    """One consent change for one address, never updated or deleted (see
    :mod:`outreach.consent_log`); :class:`Consent` is the current state derived from these."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    change: Mapped[str] = mapped_column(String(20))  # a ConsentChange
    source: Mapped[str] = mapped_column(String(40))  # a ConsentSource, or a provider code
    # The consent text version shown (outreach/data/consent_texts.toml), when one was.
    text_version: Mapped[str | None] = mapped_column(String(40))
    # Who: "contractor", "system", "provider:twilio", "staff:<email>", "roster:<file>".
    actor: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageStatus(StrEnum):
    """Where a message stands: ours before the provider has it, then the providers' own words
    (Twilio's message statuses, SendGrid's events), then ours again for what never went."""

    RECEIVED = "received"  # inbound
    SCHEDULED = "scheduled"  # a staff message waiting for its window
    SENDING = "sending"  # claimed; the provider may be about to have it
    ACCEPTED = "accepted"
    SCHEDULED_AT_PROVIDER = "scheduled_at_provider"
    QUEUED = "queued"
    PROCESSED = "processed"  # SendGrid
    DEFERRED = "deferred"  # SendGrid: the receiving server said "later"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"  # ours too: a send that did not happen after all
    PARTIALLY_DELIVERED = "partially_delivered"
    BOUNCED = "bounced"  # SendGrid
    DROPPED = "dropped"  # SendGrid
    LOST = "lost"  # ours: the provider never took it (see outreach.recovery)
    SUPPRESSED = "suppressed"  # ours: consent said no when its turn came
    READ = "read"


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
    status: Mapped[str] = mapped_column(String(24))  # a MessageStatus
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
    # An inbound message a reader has taken to analyse before its write transaction, and
    # until when: others leave it alone meanwhile. Only a hint that spares double work; the
    # read itself is claimed by setting processed_at in the write transaction.
    leased_by: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An outbound staff message's own schedule: provider refusals that asked us to come back
    # later, and when to (invitations keep theirs on the invitation). The database fills in
    # the 0: a Python-side default would join every webhook's prepared INSERT (insert_once).
    send_attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())


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
