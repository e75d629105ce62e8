"""The consent record: an append-only log of every consent change per address.

:class:`outreach.models.Consent` is the current state, kept beside the log and changed only
through :mod:`outreach.consent`, which appends here in the same transaction; so the two cannot
disagree after a commit. Rows here are never updated or deleted: the ORM refuses it.

Also here: the opt-in confirmation that goes once per phone number, ahead of its first survey
text (CTIA: a confirmation on opt-in naming the program, frequency, rates, HELP and STOP).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, or_, select, update
from sqlalchemy.orm import Session

from core import config
from core.clock import now
from outreach import consent_texts
from outreach.models import (
    Consent,
    ConsentChange,
    ConsentEvent,
    ConsentSource,
    Message,
    MessageStatus,
)

# Statuses of a message that never reached the person: a confirmation it carried did not go.
_NOT_DELIVERED = (
    MessageStatus.CANCELED,
    MessageStatus.FAILED,
    MessageStatus.LOST,
    MessageStatus.SUPPRESSED,
    MessageStatus.UNDELIVERED,
)


class AppendOnlyError(RuntimeError):
    """A consent event was about to be changed or deleted."""


@event.listens_for(ConsentEvent, "before_update")
@event.listens_for(ConsentEvent, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: ConsentEvent) -> None:
    raise AppendOnlyError(f"consent event {target.id} is part of the record and cannot change")


def append(
    session: Session,
    address: str,
    channel: str,
    change: ConsentChange,
    source: str,
    *,
    actor: str,
    text_version: str | None = None,
    message_id: int | None = None,
) -> ConsentEvent:
    entry = ConsentEvent(
        address=address,
        channel=channel,
        change=change.value,
        source=str(source)[:40],
        actor=actor[:200],
        text_version=text_version,
        message_id=message_id,
        occurred_at=now(),
    )
    session.add(entry)
    return entry


def history(session: Session, addresses: list[str]) -> list[ConsentEvent]:
    """Every event for ``addresses``, oldest first."""
    if not addresses:
        return []
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.address.in_(addresses))
            .order_by(ConsentEvent.occurred_at, ConsentEvent.id)
        )
    )


# --- the opt-in confirmation on first contact ---------------------------------------------


def claim_confirmation(session: Session, address: str, message_id: int) -> bool:
    """Claim the address's one opt-in confirmation for outbound ``message_id``.

    Only an address whose opt-in we recorded from the roster or a web form has one to get (a
    START got its own reply; an address from before the consent log was surveyed already).
    Compare-and-set: only the first claimant, or one after a message that never reached the
    person, wins, so two sends racing for a first contact carry it once between them.
    """
    opted_in = select(ConsentEvent.id).where(
        ConsentEvent.address == address,
        ConsentEvent.change == ConsentChange.OPT_IN,
        ConsentEvent.source.in_([ConsentSource.ROSTER_IMPORT, ConsentSource.WEB_FORM]),
    )
    undelivered = select(Message.id).where(Message.status.in_(_NOT_DELIVERED))
    result = session.execute(
        update(Consent)
        .where(
            Consent.address == address,
            opted_in.exists(),
            or_(
                Consent.confirmation_message_id.is_(None),
                Consent.confirmation_message_id.in_(undelivered),
            ),
        )
        .values(confirmation_message_id=message_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def first_contact_text(language: str, *, program: str, limit: int) -> tuple[str, str]:
    """The confirmation text in ``language`` and its version."""
    return consent_texts.render("first_contact", language, program=program, limit=limit)


def confirmation_went(session: Session, message: Message) -> None:
    """Record that ``message`` carried the address's opt-in confirmation, once it went."""
    version = (message.payload or {}).get("confirmation")
    if version:
        append(
            session,
            message.to_address,
            message.channel,
            ConsentChange.CONFIRMATION_SENT,
            ConsentSource.FIRST_CONTACT,
            actor="system",
            text_version=str(version),
            message_id=message.id,
        )


def with_confirmation(session: Session, message: Message, language: str, program: str) -> None:
    """Put the opt-in confirmation ahead of ``message`` (flushed, outbound SMS) when it is the
    address's first contact, in the same text so it can never arrive after the survey."""
    if not claim_confirmation(session, message.to_address, message.id):
        return
    limit = config.active().contact_limit_per_30_days
    text, version = first_contact_text(language, program=program, limit=limit)
    message.body = f"{text}\n\n{message.body}"
    message.payload = {**(message.payload or {}), "confirmation": version}


_CHUNK = 1000


def roster_consent(session: Session, addresses: list[tuple[str, str]], *, actor: str) -> int:
    """Record the roster's consent on file for addresses we have no consent state for yet.

    ``addresses``: (address, channel) pairs. An address we already know keeps its state: a
    roster re-sent every night must not undo a STOP. Returns how many were recorded.
    """
    wanted = dict(addresses)
    known: set[str] = set()
    keys = list(wanted)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        known.update(session.scalars(select(Consent.address).where(Consent.address.in_(chunk))))
    new = [(a, c) for a, c in wanted.items() if a not in known]
    if not new:
        return 0
    at, version = now(), consent_texts.current_version("roster_import")
    session.execute(
        insert(Consent),
        [{"address": a, "channel": c, "opted_in_at": at, "updated_at": at} for a, c in new],
    )
    session.execute(
        insert(ConsentEvent),
        [
            {
                "address": a,
                "channel": c,
                "change": ConsentChange.OPT_IN.value,
                "source": ConsentSource.ROSTER_IMPORT.value,
                "text_version": version,
                "actor": actor,
                "occurred_at": at,
            }
            for a, c in new
        ],
    )
    return len(new)
