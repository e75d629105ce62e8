"""Demo data for talking with contractors and telling staff: the demo logins' notification
channels (the sandbox's Slack and Teams stand-ins), and canned replies in English and Spanish."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from outreach.models import Direction, Message, MessageStatus
from staff.models import StaffUser
from staff.notify import outbox, recipients
from staff.notify.models import CannedReply, NotifySettings
from surveys.models import Alert, Ticket

# (login, the roster's name for them, on call for their team)
DEMO_NOTIFY = [
    ("support@example.com", "Dana Reyes", True),
    ("care@example.com", "Sam Okafor", True),
    ("admin@example.com", None, True),
]
DEMO_CANNED = [
    (
        "Timecard follow-up",
        "en",
        "Hi {first_name}, {account_manager} is chasing your timecard "
        "with the client today. Pay goes out {payday}.",
    ),
    (
        "Checking in",
        "en",
        "Hi {first_name}, thanks for telling us. {account_manager} will call you today.",
    ),
    (
        "Seguimiento de horas",
        "es",
        "Hola {first_name}, {account_manager} está revisando tus "
        "horas con el cliente hoy. El pago sale el {payday}.",
    ),
    (
        "Te llamamos",
        "es",
        "Hola {first_name}, gracias por contarnos. {account_manager} te llamará hoy.",
    ),
]


def seed_notify(session: Session, sandbox_url: str) -> None:
    """Every demo login hears about urgent work by email and by the sandbox's Slack and Teams
    hooks (``GET /_sandbox/hooks`` shows what arrived). Safe to run again."""
    base = sandbox_url.rstrip("/")
    for email, known_as, on_call in DEMO_NOTIFY:
        user = session.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        if session.get(NotifySettings, user.id) is not None:
            continue
        hook = email.split("@")[0]
        session.add(
            NotifySettings(
                staff_user_id=user.id,
                known_as=known_as,
                on_call=on_call,
                by_email=True,
                slack_url=f"{base}/_hooks/slack/demo-{hook}",
                teams_url=f"{base}/_hooks/teams/demo-{hook}",
                daily_digest=False,
                timezone="America/Los_Angeles" if hook == "support" else "UTC",
            )
        )
    if session.scalar(select(CannedReply.id).limit(1)) is None:
        session.add_all(
            CannedReply(title=title, language=language, body=body)
            for title, language, body in DEMO_CANNED
        )
    session.flush()


def notify_latest_urgent(session: Session, how_many: int = 3) -> int:
    """The newest urgent tickets and alerts of the demo's past get their notifications written
    now; the tick's sweep sends them once `make run` is up, so the Notifications page and the
    sandbox's hooks have something on first start."""
    planned = 0
    for kind, model in (("ticket", Ticket), ("alert", Alert)):
        ids = session.scalars(
            select(model.id)
            .where(recipients.urgent_clause(model))
            .order_by(model.created_at.desc())
            .limit(how_many)
        ).all()
        for item_id in ids:
            planned += len(outbox.plan(session, kind, item_id, look_back=None))
    return planned


def settle_history_messages(session: Session, before: datetime) -> int:
    """Staff texts and emails written into the demo's past went out then: mark them delivered,
    so that starting the demo sends none of them now."""
    settled = session.execute(
        update(Message)
        .where(
            Message.direction == Direction.OUTBOUND,
            Message.status == MessageStatus.SCHEDULED,
            Message.created_at < before,
        )
        .values(status=MessageStatus.DELIVERED)
    )
    return int(settled.rowcount)  # type: ignore[attr-defined]
