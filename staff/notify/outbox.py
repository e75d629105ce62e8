"""Notifications as an outbox: a row per person, item and channel is written first, then sent
by a job that claims it (compare-and-set), so a replayed job or a second sweep never sends
twice and a failing channel is retried with backoff, then left failed for an admin to see.
No Flask here."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import metrics
from core.clock import now
from staff.notify import recipients
from staff.notify.models import Notification, NotificationKind, NotificationStatus
from surveys.models import Alert, Ticket

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)  # then 1, 2, 4 min
# A pending row whose job never ran (Redis down at commit) is picked up by the tick after this.
STUCK_AFTER = timedelta(seconds=30)
# A job that claimed a notification and died: after this its claim lapses and it is sent again
# (a person may get one message twice; never none).
LEASE = timedelta(minutes=5)
LOOK_BACK = timedelta(days=1)  # urgent work older than this is no longer news


def _item(session: Session, kind: str, item_id: int) -> Ticket | Alert | None:
    return session.get(Ticket, item_id) if kind == "ticket" else session.get(Alert, item_id)


def describe(item: Ticket | Alert) -> tuple[str, str]:
    """Subject and text of the notification; no contractor words in it (they may be read on
    a lock screen or a shared channel): the page link says the rest."""
    who = item.contractor.name if item.contractor else (getattr(item, "client", None) or "")
    if isinstance(item, Ticket):
        subject = f"Urgent Support ticket #{item.id}: {item.category.replace('_', ' ')}"
        return subject, f"{subject} for {who} ({item.priority} priority)."
    subject = f"Urgent Care alert #{item.id}: {item.kind.replace('_', ' ')}"
    return subject, f"{subject} for {who} ({item.severity})."


def plan(
    session: Session, kind: str, item_id: int, look_back: timedelta | None = LOOK_BACK
) -> list[int]:
    """Write the notifications an urgent ticket or alert calls for; returns the ids of those
    still to send (made now or before). Commits."""
    item = _item(session, kind, item_id)
    if item is None or not recipients.is_urgent(item):
        return []
    if look_back is not None and item.created_at < now() - look_back:
        return []
    subject, body = describe(item)
    people = recipients.recipients(session, item)
    rows: list[tuple[str, int | None, str, str]] = [
        (f"{kind}:{item.id}:user:{p.id}:{channel}", p.id, channel, address)
        for p in people
        for channel, address in recipients.channels(session, p)
    ]
    if not rows:
        # Nobody to tell is itself news for an admin: a row says so, never silence.
        rows = [(f"{kind}:{item.id}:nobody", None, "email", "")]
    nobody = 0
    for key, user_id, channel, address in rows:
        try:
            with session.begin_nested():
                session.add(
                    Notification(
                        key=key,
                        kind=NotificationKind.URGENT,
                        staff_user_id=user_id,
                        ticket_id=item.id if kind == "ticket" else None,
                        alert_id=item.id if kind == "alert" else None,
                        channel=channel,
                        address=address,
                        subject=subject,
                        body=body,
                        status=NotificationStatus.PENDING
                        if user_id is not None
                        else NotificationStatus.NO_RECIPIENT,
                        attempts=0,
                    )
                )
            nobody += user_id is None
        except IntegrityError:
            pass  # planned before: a replayed job or the sweep
    session.commit()
    if nobody:
        metrics.NOTIFICATIONS.labels(channel="none", outcome="no_recipient").inc()
    column = Notification.ticket_id if kind == "ticket" else Notification.alert_id
    return list(
        session.scalars(
            select(Notification.id).where(
                column == item.id,
                Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.RETRYING]),
            )
        )
    )


def claim(session: Session, notification_id: int) -> Notification | None:
    """Take one notification to send, if it is due and nobody else has it."""
    current = now()
    taken = session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            or_(
                Notification.status == NotificationStatus.PENDING,
                Notification.status.in_([NotificationStatus.RETRYING, NotificationStatus.SENDING])
                & (Notification.next_attempt_at <= current),
            ),
        )
        .values(
            status=NotificationStatus.SENDING,
            attempts=Notification.attempts + 1,
            next_attempt_at=current + LEASE,
        )
    )
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get_one(Notification, notification_id)


def record(session: Session, notification: Notification, error: str | None) -> str:
    """The send's outcome: sent, retried later (doubling waits), or failed for good."""
    if error is None:
        notification.status = NotificationStatus.SENT
        notification.sent_at = now()
        notification.next_attempt_at = None
        notification.last_error = None
    elif notification.attempts >= MAX_ATTEMPTS:
        notification.status = NotificationStatus.FAILED
        notification.next_attempt_at = None
        notification.last_error = error
    else:
        notification.status = NotificationStatus.RETRYING
        notification.next_attempt_at = now() + FIRST_RETRY * 2 ** (notification.attempts - 1)
        notification.last_error = error
    session.commit()
    return notification.status


def retry_now(session: Session, notification_id: int) -> Notification:
    """An admin's "try again": a failed notification goes back to the queue."""
    found = session.get_one(Notification, notification_id)
    if found.status in (NotificationStatus.FAILED, NotificationStatus.RETRYING):
        found.status = NotificationStatus.RETRYING
        found.next_attempt_at = now()
    return found


def due(session: Session, limit: int = 200) -> list[int]:
    """Notifications a job should send now: retries whose time came, and pending ones whose
    job never ran."""
    current = now()
    return list(
        session.scalars(
            select(Notification.id)
            .where(
                or_(
                    Notification.status.in_(
                        [NotificationStatus.RETRYING, NotificationStatus.SENDING]
                    )
                    & (Notification.next_attempt_at <= current),
                    (Notification.status == NotificationStatus.PENDING)
                    & (Notification.created_at <= current - STUCK_AFTER),
                )
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def unplanned(session: Session, limit: int = 200) -> list[tuple[str, int]]:
    """Recent urgent tickets and alerts with no notification yet (their job never ran)."""
    since = now() - LOOK_BACK
    found: list[tuple[str, int]] = []
    for kind, model, column in (
        ("ticket", Ticket, Notification.ticket_id),
        ("alert", Alert, Notification.alert_id),
    ):
        ids = session.scalars(
            select(model.id)
            .where(
                model.created_at >= since,
                recipients.urgent_clause(model),
                ~exists().where(column == model.id),
            )
            .order_by(model.id)
            .limit(limit)
        )
        found += [(kind, item_id) for item_id in ids]
    return found
