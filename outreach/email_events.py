"""What SendGrid's Event Webhook tells us about the emails we sent, applied once per event.

Each event carries ``sg_event_id``; it is stored in ``provider_events`` (unique) in the same
transaction as its effects, so a redelivered batch, or the same event twice, changes nothing.
Statuses move forward only. Addresses are suppressed as PROVIDERS.md says: a hard bounce or a
drop makes the address unreachable (SMS may still be used); an unsubscribe or a spam report is
an opt-out, which stops every channel.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import insert_ignoring_duplicates
from outreach import consent
from outreach.delivery import apply_provider_status
from outreach.models import MESSAGE_ID_MAX, Channel, Direction, Message, ProviderEvent

log = logging.getLogger(__name__)

# SendGrid event -> our message status. Events not listed change no status.
EVENT_STATUS: Mapping[str, str] = {
    "processed": "processed",
    "deferred": "deferred",
    "delivered": "delivered",
    "bounce": "bounced",
    "dropped": "dropped",
}
_SENDGRID = "provider:sendgrid"  # who, in the consent record
OPT_OUT_EVENTS: Mapping[str, str] = {
    "spamreport": "spamreport",
    "unsubscribe": "unsubscribe",
    "group_unsubscribe": "unsubscribe",
}


class EventError(ValueError):
    """The webhook body is not a list of events; the message says what is wrong."""


@dataclass
class Outcome:
    new: int = 0
    duplicates: int = 0
    ignored: list[str] = field(default_factory=list)  # why an event was skipped


# Widths of the columns an event's values are stored in (provider_events, consents, messages).
_WIDTHS = {"sg_event_id": 255, "email": 320, "sg_message_id": 255, "event": 32}


def parse_events(payload: Any) -> list[dict[str, Any]]:
    """Check the shape of a webhook body. Raises EventError naming the first bad element.

    Every value we store must fit its column and hold no NUL (PostgreSQL refuses it), and our
    ``message_id`` custom arg must be one of our ids: SendGrid retries a 5xx for days.
    """
    if not isinstance(payload, list):
        raise EventError("the body must be a JSON array of events")
    for i, event in enumerate(payload):
        if not isinstance(event, dict):
            raise EventError(f"event {i}: must be a JSON object")
        for name in ("event", "email", "sg_event_id"):
            if not isinstance(event.get(name), str) or not event[name]:
                raise EventError(f"event {i}: '{name}' is required and must be a string")
        for name, value in event.items():
            if isinstance(value, str) and "\x00" in value:
                raise EventError(f"event {i}: '{name[:64]}' contains a NUL character")
        for name, width in _WIDTHS.items():
            value = event.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > width):
                raise EventError(f"event {i}: '{name}' must be a string of at most {width}")
        if "message_id" in event and _our_id(event["message_id"]) is None:
            raise EventError(f"event {i}: 'message_id' is not one of our message ids")
    return payload


def _our_id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    number = int(text)
    return number if 0 < number <= MESSAGE_ID_MAX else None


def _message_for(session: Session, event: Mapping[str, Any]) -> Message | None:
    """Our Message: by the ``message_id`` custom arg, else by the X-Message-Id prefix of
    ``sg_message_id``; only when it went to the address the event is about."""
    email = str(event["email"]).lower()
    candidates: list[Message | None] = []
    message_id = _our_id(event.get("message_id"))
    if message_id is not None:
        candidates.append(session.get(Message, message_id))
    sg_message_id = event.get("sg_message_id")
    if isinstance(sg_message_id, str) and sg_message_id:
        provider_id = sg_message_id.split(".", 1)[0]
        candidates.append(session.scalar(select(Message).where(Message.provider_id == provider_id)))
    for message in candidates:
        if (
            message is not None
            and message.direction == Direction.OUTBOUND
            and message.channel == Channel.EMAIL
            and message.to_address.lower() == email
        ):
            return message
    return None


def apply_events(session: Session, events: Iterable[Mapping[str, Any]]) -> Outcome:
    """Apply each event not seen before. Runs in the caller's transaction."""
    events = list(events)
    outcome = Outcome()
    if not events:
        return outcome
    table = cast(Table, ProviderEvent.__table__)
    stmt = insert_ignoring_duplicates(table, session.get_bind().dialect.name)
    received = now()
    rows: list[dict[str, object]] = [
        {
            "provider": "sendgrid",
            "event_id": str(e["sg_event_id"]),
            "kind": str(e["event"])[:32],
            "received_at": received,
        }
        for e in events
    ]
    fresh = set(session.scalars(stmt.returning(table.c.event_id), rows).all())
    for event in events:
        event_id = str(event["sg_event_id"])
        if event_id not in fresh:
            outcome.duplicates += 1
            continue
        fresh.discard(event_id)  # the same id twice in one batch counts once
        outcome.new += 1
        _apply(session, event, outcome)
    return outcome


def _apply(session: Session, event: Mapping[str, Any], outcome: Outcome) -> None:
    kind = str(event["event"])
    address = str(event["email"]).strip()
    message = _message_for(session, event)
    status = EVENT_STATUS.get(kind)
    provider_id = (message.provider_id if message else None) or str(
        event.get("sg_message_id") or ""
    ).split(".", 1)[0]
    if status is not None:
        if message is None or not provider_id:
            # Logged: the event's id, never the address.
            outcome.ignored.append(f"{kind} {event['sg_event_id']}: no message of ours")
        else:
            apply_provider_status(
                session,
                provider_id=provider_id,
                status=status,
                error_code=str(event.get("status") or "")[:16] or None,
                message_id=message.id,
            )
    if kind == "bounce" and str(event.get("type") or "bounce") == "bounce":
        # "blocked" bounces are temporary (a full mailbox, a greylist): no suppression.
        consent.mark_invalid(session, address, Channel.EMAIL, reason="bounce", actor=_SENDGRID)
    elif kind == "dropped":
        reason = str(event.get("reason") or "").lower()
        if "unsubscribe" in reason:
            consent.record_opt_out(
                session, address, Channel.EMAIL, source="unsubscribe", actor=_SENDGRID
            )
        elif "spam" in reason:
            consent.record_opt_out(
                session, address, Channel.EMAIL, source="spamreport", actor=_SENDGRID
            )
        else:
            consent.mark_invalid(session, address, Channel.EMAIL, reason="dropped", actor=_SENDGRID)
    elif kind in OPT_OUT_EVENTS:
        consent.record_opt_out(
            session, address, Channel.EMAIL, source=OPT_OUT_EVENTS[kind], actor=_SENDGRID
        )
    elif kind == "group_resubscribe":
        consent.record_opt_in(
            session, address, Channel.EMAIL, source="group_resubscribe", actor=_SENDGRID
        )
