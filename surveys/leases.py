"""Taking a batch of waiting replies for a while, so that a reader can analyse them with no
transaction open and no lock held, then write them in one short transaction.

A lease only spares two readers the same analysis. It is never what makes a read happen once:
the write transaction claims each message by setting its ``processed_at``
(:func:`surveys.claims.claim_where`), so a reader whose lease lapsed reads only what it still
wins there. A reader killed after taking a lease leaves its messages waiting; they are free again
once the lease lapses, which is short because nothing renews it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from outreach.models import Direction, Message
from surveys.claims import MAX_ATTEMPTS

# Long enough to analyse a batch on a busy machine; short enough that a killed reader's batch
# waits less than a tick. A lapse mid-batch costs analysis done twice, never a reply read twice.
LEASE = timedelta(seconds=2)


def new_holder() -> str:
    return uuid.uuid4().hex


def _wall_clock() -> datetime:
    # Real seconds, not core.clock's business time: a lease measures how long a live process
    # may hold work, and a clock frozen by a test must not make one last for ever.
    return datetime.now(UTC)


def _free(at: datetime) -> list[ColumnElement[bool]]:
    return [
        Message.direction == Direction.INBOUND,
        Message.processed_at.is_(None),
        Message.process_attempts < MAX_ATTEMPTS,
        or_(Message.lease_until.is_(None), Message.lease_until < at),
    ]


def lease(
    session: Session,
    holder: str,
    first: Sequence[int],
    limit: int,
    for_: timedelta = LEASE,
) -> list[int]:
    """Take up to ``limit`` waiting messages nobody holds (``first`` ahead of the oldest), and
    the other waiting texts of their senders, so that one reader has a contractor's texts in
    order, for ``for_``. Returns their ids, sorted. The caller commits at once (a short
    transaction)."""
    at = _wall_clock()
    until = at + for_
    ids = _take(session, (holder, at, until), [Message.id.in_(first)], len(first)) if first else []
    ids += _take(session, (holder, at, until), [], max(limit - len(ids), 0))
    if not ids:
        return []
    senders = set(
        session.scalars(select(Message.from_address).where(Message.id.in_(ids)).distinct())
    )
    ids += _take(session, (holder, at, until), [Message.from_address.in_(senders)], None)
    return sorted(set(ids))


def _take(
    session: Session,
    lease_: tuple[str, datetime, datetime],
    where: Iterable[ColumnElement[bool]],
    limit: int | None,
) -> list[int]:
    holder, at, until = lease_
    if limit == 0:
        return []
    chosen = select(Message.id).where(*_free(at), *where).order_by(Message.id).limit(limit)
    take = (
        update(Message)
        .values(leased_by=holder, lease_until=until)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    if session.get_bind().dialect.name == "postgresql":
        # As in claims.claim_where: rows another reader is taking are skipped, and the
        # SKIP LOCKED select runs once, outside the UPDATE.
        ids = list(session.scalars(chosen.with_for_update(skip_locked=True)))
        return list(session.scalars(take.where(Message.id.in_(ids)))) if ids else []
    # SQLite: one writer at a time, so the statement sees no lease taken under it.
    return list(session.scalars(take.where(Message.id.in_(chosen.scalar_subquery()))))


def release(session: Session, holder: str, ids: Sequence[int]) -> None:
    """Give back this holder's leases on ``ids`` (read or not), in the caller's write
    transaction: what it did not read is free for the next reader at once."""
    if not ids:
        return
    session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.leased_by == holder)
        .values(leased_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
