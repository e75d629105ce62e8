"""Where messages and invitations stand, and the only ways they move: forward.

Twilio delivers status callbacks out of order and SendGrid repeats events, so every move is
ranked, and a move of a stored row is a compare-and-set decided by the database itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.orm import Session

from core.clock import now
from outreach.models import Direction, Invitation, InvitationStatus, Message, MessageStatus

# Provider message statuses, ranked so that a late or repeated callback never moves a
# message backwards (Twilio delivers callbacks out of order; SendGrid events too).
STATUS_RANK: Mapping[str, int] = {
    MessageStatus.SCHEDULED: -1,
    MessageStatus.SENDING: 0,
    MessageStatus.ACCEPTED: 1,
    MessageStatus.SCHEDULED_AT_PROVIDER: 1,
    MessageStatus.QUEUED: 2,
    MessageStatus.PROCESSED: 2,
    MessageStatus.DEFERRED: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.CANCELED: 4,
    MessageStatus.PARTIALLY_DELIVERED: 4,
    MessageStatus.BOUNCED: 4,
    MessageStatus.DROPPED: 4,
    MessageStatus.LOST: 4,
    MessageStatus.SUPPRESSED: 4,
    MessageStatus.READ: 5,
}
_INVITATION_RANK: Mapping[str, int] = {
    InvitationStatus.SCHEDULED: 0,
    InvitationStatus.SENDING: 1,
    InvitationStatus.SENT: 2,
    InvitationStatus.DELIVERED: 3,
    InvitationStatus.FAILED: 3,
    InvitationStatus.ANSWERED: 4,
    InvitationStatus.EXPIRED: 4,
    InvitationStatus.SKIPPED: 4,
}
_WENT = {MessageStatus.SENT, MessageStatus.QUEUED, MessageStatus.ACCEPTED, MessageStatus.PROCESSED}
_ARRIVED = {MessageStatus.DELIVERED, MessageStatus.READ}
_NEVER_ARRIVED = {
    MessageStatus.FAILED,
    MessageStatus.UNDELIVERED,
    MessageStatus.BOUNCED,
    MessageStatus.DROPPED,
}
REMINDABLE = (InvitationStatus.SENT, InvitationStatus.DELIVERED)


def advance_invitation(invitation: Invitation, status: InvitationStatus) -> bool:
    """Move an invitation's status forward only; return whether it moved."""
    if _INVITATION_RANK[status] <= _INVITATION_RANK[InvitationStatus(invitation.status)]:
        return False
    invitation.status = status
    invitation.status_changed_at = now()
    return True


def advance_message(message: Message, status: str, error_code: str | None = None) -> bool:
    """Move a message's provider status forward only; return whether it moved."""
    if STATUS_RANK.get(status, -1) <= STATUS_RANK.get(message.status, -1):
        return False
    message.status = status
    if error_code:
        message.error_code = error_code
    return True


def _ranked_below(ranks: Mapping[str, int], status: str) -> list[str]:
    return [name for name, rank in ranks.items() if rank < ranks[status]]


def ranked_below(status: InvitationStatus) -> list[str]:
    """The invitation statuses that may move forward to ``status``."""
    return _ranked_below(_INVITATION_RANK, status)


def advance_message_row(
    session: Session, message_id: int, status: str, error_code: str | None = None
) -> bool:
    """Move a stored message's status forward only, decided by the database itself.

    A provider's callback and our own worker may both be writing the same row at once (a
    quick provider reports "delivered" before the worker has recorded "accepted"); a
    compare-and-set UPDATE, unlike a read-then-write, cannot move it back.
    """
    if status not in STATUS_RANK:
        return False
    values: dict[str, Any] = {"status": status}
    if error_code:
        values["error_code"] = error_code
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status.in_(_ranked_below(STATUS_RANK, status)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    _forget_cached(session, Message, message_id, (*values, "updated_at"))
    return result.rowcount == 1  # type: ignore[attr-defined]


def advance_invitation_row(
    session: Session, invitation_id: int, status: InvitationStatus, **values: Any
) -> bool:
    """Like :func:`advance_message_row`, for an invitation; ``values`` go with the move."""
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.status.in_(_ranked_below(_INVITATION_RANK, status)),
        )
        .values(status=status, status_changed_at=now(), **values)
        .execution_options(synchronize_session=False)
    )
    _forget_cached(session, Invitation, invitation_id, ("status", "status_changed_at", *values))
    return result.rowcount == 1  # type: ignore[attr-defined]


def record_provider_id(session: Session, message_id: int, provider_id: str) -> None:
    session.execute(
        update(Message)
        .where(Message.id == message_id, Message.provider_id.is_(None))
        .values(provider_id=provider_id)
        .execution_options(synchronize_session=False)
    )
    _forget_cached(session, Message, message_id, ("provider_id", "updated_at"))


def _forward(column: Any, ranks: Mapping[str, int], status: str) -> ColumnElement[Any]:
    """``status`` where the row's own is ranked below it, else the row's own: a move forward
    only, as one column of an UPDATE that changes other columns whatever the status."""
    return case((column.in_(_ranked_below(ranks, status)), status), else_=column)


def record_accepted(session: Session, message_id: int, provider_id: str, status: str) -> None:
    """The provider took the message: its id and status, in one UPDATE that is
    :func:`record_provider_id` and :func:`advance_message_row` at once (a quick callback may
    have written either first; neither is overwritten)."""
    values: dict[str, Any] = {"provider_id": func.coalesce(Message.provider_id, provider_id)}
    if status in STATUS_RANK:
        values["status"] = _forward(Message.status, STATUS_RANK, status)
    session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    _forget_cached(session, Message, message_id, (*values, "updated_at"))


def record_invitation_sent(session: Session, invitation_id: int, *, channel: str) -> str:
    """The invitation went on ``channel``: its channel, when it went (the first time), and
    ``sent`` unless a callback has moved it further already, in one UPDATE. Returns the
    status it has now."""
    moves = Invitation.status.in_(_ranked_below(_INVITATION_RANK, InvitationStatus.SENT))
    status = session.scalar(
        update(Invitation)
        .where(Invitation.id == invitation_id)
        .values(
            channel=channel,
            sent_at=func.coalesce(Invitation.sent_at, now()),
            status=_forward(Invitation.status, _INVITATION_RANK, InvitationStatus.SENT),
            status_changed_at=case((moves, now()), else_=Invitation.status_changed_at),
        )
        .returning(Invitation.status)
        .execution_options(synchronize_session=False)
    )
    _forget_cached(
        session, Invitation, invitation_id, ("channel", "sent_at", "status", "status_changed_at")
    )
    return str(status)


def _forget_cached(
    session: Session,
    model: type[Message] | type[Invitation],
    row_id: int,
    columns: Iterable[str] | None = None,
) -> None:
    # The database decided; what this session holds of those columns is read again on next
    # use (only those: the rest of the row is as this session last saw it).
    cached = session.identity_map.get(session.identity_key(model, row_id))
    if cached is not None:
        session.expire(cached, list(columns) if columns is not None else None)


def is_reminder(message: Message) -> bool:
    return bool((message.payload or {}).get("reminder"))


def apply_provider_status(
    session: Session,
    *,
    provider_id: str,
    status: str,
    error_code: str | None = None,
    message_id: int | None = None,
) -> bool:
    """Record a provider's status report. Returns False when it changed nothing."""
    message = session.scalar(select(Message).where(Message.provider_id == provider_id))
    if message is None and message_id is not None:
        # The provider took the message before our worker recorded its id (or the worker
        # died in between); the callback carries our id and settles the send.
        message = session.get(Message, message_id)
        if message is not None:
            record_provider_id(session, message.id, provider_id)
    if message is None or message.direction != Direction.OUTBOUND:
        return False
    if not advance_message_row(session, message.id, status, error_code):
        return False
    if message.invitation_id is not None and not is_reminder(message):
        sent_at = func.coalesce(Invitation.sent_at, message.created_at)
        if status in _WENT:
            advance_invitation_row(
                session, message.invitation_id, InvitationStatus.SENT, sent_at=sent_at
            )
        elif status in _ARRIVED:
            advance_invitation_row(
                session, message.invitation_id, InvitationStatus.DELIVERED, sent_at=sent_at
            )
        elif status in _NEVER_ARRIVED:
            advance_invitation_row(session, message.invitation_id, InvitationStatus.FAILED)
    return True
