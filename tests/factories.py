"""Rows for tests, made with the real models. Each ``make_*`` adds to the session, flushes (so
the row has its id) and returns the row; keyword overrides replace any default."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from outreach.models import Contractor, Message
from staff.models import StaffUser
from surveys.models import Alert, Response, Ticket

_serial = itertools.count(1)

DEFAULT_STAFF_PASSWORD = "correct horse battery staple"


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def make_contractor(session: Session, **overrides: Any) -> Contractor:
    n = next(_serial)
    values: dict[str, Any] = {
        "external_id": f"EXT-{n:05d}",
        "name": f"Contractor {n}",
        "phone": f"+1415555{n % 10000:04d}",
        "email": f"contractor{n}@example.com",
        "timezone": "America/New_York",
        "channel": "sms",
        "start_date": date(2026, 2, 2),
        "client": "Acme Corp",
        "account_manager": "Dana Manager",
    }
    values.update(overrides)
    return _add(session, Contractor(**values))  # type: ignore[no-any-return]


def make_response(session: Session, **overrides: Any) -> Response:
    values: dict[str, Any] = {
        "channel": "sms",
        "text": "Timecard was not approved again, pay is late",
        "rating": 2,
        "scale_max": 5,
        "negative": True,
        "category": "timecard_pay",
        "flagged": True,
    }
    values.update(overrides)
    return _add(session, Response(**values))  # type: ignore[no-any-return]


def make_message(session: Session, **overrides: Any) -> Message:
    n = next(_serial)
    values: dict[str, Any] = {
        "direction": "inbound",
        "channel": "sms",
        "provider_id": f"SM{n:032d}",
        "from_address": f"+1415555{n % 10000:04d}",
        "to_address": "+15005550006",
        "body": "",
        "status": "received",
    }
    values.update(overrides)
    return _add(session, Message(**values))  # type: ignore[no-any-return]


def make_ticket(session: Session, **overrides: Any) -> Ticket:
    values: dict[str, Any] = {
        "category": "timecard_pay",
        "priority": "high",
        "status": "open",
        "team": "support",
        "rule": "timecard_pay.phrase",
        "summary": "Timecard not approved",
    }
    values.update(overrides)
    return _add(session, Ticket(**values))  # type: ignore[no-any-return]


def make_alert(session: Session, **overrides: Any) -> Alert:
    values: dict[str, Any] = {
        "kind": "low_rating_run",
        "severity": "high",
        "status": "open",
        "evidence": {"ratings": [2, 1, 2]},
    }
    values.update(overrides)
    return _add(session, Alert(**values))  # type: ignore[no-any-return]


def make_staff_user(
    session: Session, *, password: str = DEFAULT_STAFF_PASSWORD, **overrides: Any
) -> StaffUser:
    n = next(_serial)
    values: dict[str, Any] = {"email": f"staff{n}@example.com", "role": "support", "active": True}
    values.update(overrides)
    user = StaffUser(**values)
    user.set_password(password)
    return _add(session, user)  # type: ignore[no-any-return]
