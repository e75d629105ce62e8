"""Taking waiting replies to read: one reader per message, urgent ones first, texts of one
answer in order; and what is left for staff after a message failed too often."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.clock import now
from outreach.models import Direction, Message
from surveys import rules
from surveys.answers import MAX_REPLY_CHARS

MAX_ATTEMPTS = 5
# How many of the newest waiting replies a reader screens for must-catch problems per look,
# so that a safety report is read before a bulk backlog stored ahead of it.
URGENT_SCAN = 500
URGENT_PER_BATCH = 20


def _waiting() -> list[ColumnElement[bool]]:
    return [
        Message.direction == Direction.INBOUND,
        Message.processed_at.is_(None),
        Message.process_attempts < MAX_ATTEMPTS,
    ]


def claim(session: Session, message_id: int) -> bool:
    """Take a message for processing; False when another worker already has."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.processed_at.is_(None))
        .values(processed_at=now())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def claim_where(session: Session, where: Iterable[ColumnElement[bool]], limit: int) -> list[int]:
    """Mark up to ``limit`` waiting messages read, in the caller's transaction: a crash rolls
    the mark back with the work, so what a dead reader held waits again.

    One statement, so two readers never take the same row: on PostgreSQL the rows another
    reader holds are skipped (FOR UPDATE SKIP LOCKED); SQLite has one writer at a time, and
    the next reader's statement runs after the first reader commits.
    """
    chosen = select(Message.id).where(*_waiting(), *where).order_by(Message.id).limit(limit)
    claim_ = (
        update(Message)
        .values(processed_at=now())
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two statements: inside an UPDATE, PostgreSQL may run a LIMIT ... SKIP LOCKED
        # subquery more than once, each run taking rows of its own.
        ids = list(session.scalars(chosen.with_for_update(skip_locked=True)))
        taken: Iterable[int] = session.scalars(claim_.where(Message.id.in_(ids))) if ids else []
    else:
        taken = session.scalars(
            claim_.where(Message.id.in_(chosen.scalar_subquery()), Message.processed_at.is_(None))
        )
    return sorted(taken)


def after_earlier_texts(session: Session, ids: list[int]) -> list[int]:
    """``ids`` less the messages that must wait for an earlier text from the same sender,
    which another reader holds: texts of one answer are read in order, each seeing the one
    before. Those left out are released, and read once the earlier one is."""
    if not ids:
        return ids
    senders: dict[int, str] = {
        i: address
        for i, address in session.execute(
            select(Message.id, Message.from_address).where(Message.id.in_(ids))
        )
    }
    held_elsewhere: dict[str, int] = {
        address: first
        for address, first in session.execute(
            select(Message.from_address, func.min(Message.id))
            .where(*_waiting(), Message.from_address.in_(set(senders.values())))
            .group_by(Message.from_address)
        )
    }
    behind = [i for i in ids if held_elsewhere.get(senders[i], i) < i]
    if behind:
        session.execute(
            update(Message)
            .where(Message.id.in_(behind))
            .values(processed_at=None)
            .execution_options(synchronize_session=False)
        )
    return [i for i in ids if i not in set(behind)]


def urgent_waiting(session: Session, after_id: int) -> tuple[list[int], int]:
    """Waiting messages after ``after_id`` that a must-catch rule flags (a safety report, say),
    among the newest URGENT_SCAN, and the newest id looked at."""
    newest = list(
        session.execute(
            select(Message.id, Message.body)
            .where(*_waiting(), Message.id > after_id)
            .order_by(Message.id.desc())
            .limit(URGENT_SCAN)
        )
    )
    if not newest:
        return [], after_id
    screen = rules.ruleset()
    urgent = sorted(i for i, body in newest if screen.scan(body[:MAX_REPLY_CHARS]) is not None)
    return urgent[:URGENT_PER_BATCH], newest[0][0]


def pending_message_ids(session: Session, limit: int = 200) -> list[int]:
    return list(
        session.scalars(select(Message.id).where(*_waiting()).order_by(Message.id).limit(limit))
    )


def record_failure(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(process_attempts=Message.process_attempts + 1, process_error=error[:2000])
    )
