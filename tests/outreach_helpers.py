"""Shared pieces of the outreach tests: surveys, invitations, real worker processes."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import db
from outreach.delivery import send_invitation
from outreach.models import Direction, Invitation, Message, Survey
from tests.factories import make_contractor
from tests.fakes import FakeChannel

ROOT = Path(__file__).resolve().parent.parent
SENDERS = {"sms": "+15005550006", "email": "pulse@example.com"}


def make_survey(session: Session, **overrides: Any) -> Survey:
    values: dict[str, Any] = {
        "key": f"pulse-{secrets.token_hex(3)}",
        "name": "Pulse",
        "question": "How is it going?",
        "sms_template": "Hi {first_name}, how is {client}? Reply 1-{scale_max}. STOP to opt out.",
        "email_subject": "How is {client}?",
        "email_template": "Hi {first_name},\n\nHow is {client}? Reply 1-{scale_max}.",
        "onboarding_days": [3],
        "pulse_every_days": None,
    }
    values.update(overrides)
    survey = Survey(**values)
    session.add(survey)
    session.flush()
    return survey


def make_invitation(
    session: Session, survey: Survey, contractor_id: int, **overrides: Any
) -> Invitation:
    """A scheduled invitation, due today, that stays sendable for a day of real time."""
    values: dict[str, Any] = {
        "survey_id": survey.id,
        "contractor_id": contractor_id,
        "due_on": date(2026, 3, 2),
        "status": "scheduled",
        "channel": "sms",
        "reply_token": secrets.token_hex(8),
        "reminder_count": 0,
        "expires_at": datetime.now(UTC) + timedelta(days=1),
    }
    values.update(overrides)
    invitation = Invitation(**values)
    session.add(invitation)
    session.flush()
    return invitation


def send(session: Session, invitation_id: int, channels: Mapping[str, FakeChannel]) -> str:
    return send_invitation(
        session, invitation_id, channels, senders=SENDERS, reply_domain="reply.example.com"
    )


def zone_at_midday() -> str:
    """A fixed-offset zone where it is now between 13:00 and 14:00, for tests that run real
    worker processes on the real clock: their sends must fall inside 08:00-20:00 local."""
    offset = 13 - datetime.now(UTC).hour
    if offset > 14:
        offset -= 24
    if offset < -12:
        offset += 24
    # POSIX-style names: Etc/GMT-5 is five hours *ahead* of UTC.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def invitations_open_now(count: int, **contractor: Any) -> list[str]:
    """``count`` scheduled invitations, each to its own contractor (made with ``contractor``'s
    values), that real worker processes on the real clock may send at once (midday where they
    live, a survey open every day). Returns the contractors' phones."""
    zone = zone_at_midday()
    phones = []
    with db.session() as session:
        survey = make_survey(
            session,
            onboarding_days=[],
            window_start="08:00",
            window_end="20:00",
            weekdays_only=False,
        )
        for _ in range(count):
            made = make_contractor(session, timezone=zone, **contractor)
            make_invitation(session, survey, made.id)
            phones.append(made.phone)
    return phones


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a `flask --app wsgi worker` process needs to join this test."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "SENDGRID_", "PULSE_", "SMS_"))
    }
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url,
            "SECRET_KEY": settings.secret_key,
            "PULSE_ENV": "test",
            "PUBLIC_BASE_URL": settings.public_base_url,
            "SANDBOX_URL": settings.sandbox_url,
            "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
            "SENDGRID_INBOUND_SECRET": settings.sendgrid_inbound_secret,
        }
    )
    env.update(extra)
    return env


def start_worker(env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A real RQ worker process (forking work horses), in its own process group so that a
    test can kill the worker and its horse together."""
    flask = Path(sys.executable).with_name("flask")
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(flask), "--app", "wsgi", "worker"],
            cwd=ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process descended from it (RQ's work horse runs in its own session,
    so a process group does not reach it)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        tree += children
        frontier = children
    return tree


def kill_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a worker and its work horse at once: no cleanup, no goodbye."""
    import signal

    for pid in reversed(process_tree(process.pid)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(10)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def inbound_stored_and_read() -> tuple[int, int]:
    """How many inbound messages are stored, and how many of them have been read."""
    with db.session() as session:
        stored, read = session.execute(
            select(func.count(Message.id), func.count(Message.processed_at)).where(
                Message.direction == Direction.INBOUND
            )
        ).one()
    return int(stored), int(read)
