"""The daily digest: non-urgent open work of a person's team, once a day after 08:00 their time,
for those who asked for it. Written to the same outbox as urgent notifications (one row per
person, day and channel), so a second tick the same day sends nothing. No Flask here."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import now
from staff.models import Role, StaffUser
from staff.notify import recipients
from staff.notify.models import Notification, NotificationKind, NotificationStatus, NotifySettings
from surveys.models import Alert, AlertStatus, Team, Ticket, TicketStatus

SENDS_FROM = time(8, 0)
LISTED = 20


def _open_work(session: Session, role: str) -> list[str]:
    lines: list[str] = []
    if role in (Role.SUPPORT, Role.ADMIN):
        for t in session.scalars(
            select(Ticket)
            .where(Ticket.status != TicketStatus.RESOLVED, Ticket.team == Team.SUPPORT)
            .where(~recipients.urgent_clause(Ticket))
            .order_by(Ticket.created_at)
            .limit(LISTED)
        ):
            lines.append(
                f"Ticket #{t.id}: {t.category.replace('_', ' ')} ({t.priority}), {t.status}"
            )
    if role in (Role.CARE, Role.ADMIN):
        for a in session.scalars(
            select(Alert)
            .where(Alert.status != AlertStatus.RESOLVED)
            .where(~recipients.urgent_clause(Alert))
            .order_by(Alert.created_at)
            .limit(LISTED)
        ):
            lines.append(f"Alert #{a.id}: {a.kind.replace('_', ' ')} ({a.severity}), {a.status}")
    return lines


def plan_digests(session: Session, at: datetime | None = None) -> list[int]:
    """Write today's digests for everyone whose morning has come; ids of those to send."""
    at = at or now()
    made: list[int] = []
    wanted = session.execute(
        select(StaffUser, NotifySettings)
        .join(NotifySettings, NotifySettings.staff_user_id == StaffUser.id)
        .where(NotifySettings.daily_digest.is_(True), StaffUser.active.is_(True))
    ).all()
    for user, chosen in wanted:
        local = at.astimezone(ZoneInfo(chosen.timezone))
        if local.time() < SENDS_FROM:
            continue
        lines = _open_work(session, user.role)
        subject = f"Pulse daily digest for {local:%a %d %b}: {len(lines)} open item(s)"
        body = "\n".join(lines) if lines else "Nothing non-urgent is open for your team."
        for channel, address in recipients.channels(session, user):
            try:
                with session.begin_nested():
                    row = Notification(
                        key=f"digest:{user.id}:{local:%Y-%m-%d}:{channel}",
                        kind=NotificationKind.DIGEST,
                        staff_user_id=user.id,
                        channel=channel,
                        address=address,
                        subject=subject,
                        body=f"{subject}\n{body}",
                        status=NotificationStatus.PENDING,
                        attempts=0,
                    )
                    session.add(row)
                    session.flush()
                made.append(row.id)
            except IntegrityError:
                pass  # today's digest was written already
    session.commit()
    return made
