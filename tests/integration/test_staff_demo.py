"""`flask seed-demo`: the roster, survey and logins `make run` needs, plus weeks of history
so that every staff page has something on first start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from demo import seed as demo
from outreach import delivery
from outreach.models import Contractor, Invitation
from outreach.schedule import plan_invitations
from staff.models import AuditEvent, WorkNote
from surveys.models import Alert, Response, Ticket
from tests.conftest import FrozenClock
from tests.staff_helpers import signed_in


@pytest.fixture
def seeded(app: Flask, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(demo, "INSTANCE_DIR", tmp_path)
    result = app.test_cli_runner().invoke(demo.seed_demo_command)
    assert result.exit_code == 0, result.output
    assert "weeks of history" in result.output
    return tmp_path / "demo-logins.txt"


def _count(session: Session, column: object, *where: object) -> int:
    return session.scalar(select(func.count(column)).where(*where)) or 0  # type: ignore[arg-type]


def test_demo_history_spans_two_clients_and_weeks_of_replies_and_work(
    seeded: Path, session: Session
) -> None:
    clients = set(session.scalars(select(Contractor.client).distinct()))
    first, last = session.execute(
        select(func.min(Response.created_at), func.max(Response.created_at))
    ).one()
    statuses = set(session.scalars(select(Ticket.status).distinct()))
    alert_statuses = set(session.scalars(select(Alert.status).distinct()))

    assert clients == {"Acme Logistics", "Northwind Health"}
    assert (last - first).days >= 42
    assert _count(session, Response.id) > 150
    assert _count(session, Response.id, Response.flagged) > 30
    assert {"open", "claimed", "resolved"} <= statuses
    assert {"open", "acknowledged", "resolved"} <= alert_statuses
    assert _count(session, Ticket.id, Ticket.team == "care") >= 1
    assert _count(session, WorkNote.id) > 20
    assert _count(session, AuditEvent.id, AuditEvent.action == "ticket_resolved") > 5
    # Analysis fields come from the real analyzer, not from the seed.
    reply = session.scalars(
        select(Response).where(Response.text.startswith("2 my timecard"))
    ).first()
    assert reply is not None and (reply.rating, reply.category) == (2, "timecard_pay")


def test_demo_history_leaves_the_first_texts_to_the_demo_roster(
    seeded: Path, session: Session
) -> None:
    already = _count(session, Invitation.id)

    plan_invitations(session)
    session.flush()

    planned = session.scalars(
        select(Contractor.external_id)
        .join(Invitation, Invitation.contractor_id == Contractor.id)
        .where(Invitation.status == "scheduled")
    ).all()
    assert _count(session, Invitation.id) - already == len(planned) == len(demo.DEMO_ROSTER)
    assert all(e.startswith("DEMO-") for e in planned)
    # Nor does any old, unanswered invitation have a reminder still to go.
    assert delivery.due_reminder_ids(session, after=timedelta(0), stale=timedelta(days=365)) == []


def test_seed_demo_twice_adds_nothing_more(app: Flask, seeded: Path, session: Session) -> None:
    before = (_count(session, Contractor.id), _count(session, Response.id))

    result = app.test_cli_runner().invoke(demo.seed_demo_command)

    assert result.exit_code == 0
    assert (_count(session, Contractor.id), _count(session, Response.id)) == before


def test_every_demo_login_sees_something_on_every_page(
    app: Flask, seeded: Path, session: Session
) -> None:
    with_ticket = session.scalars(select(Ticket.contractor_id).limit(1)).one()
    survey_id = session.scalars(select(Invitation.survey_id).limit(1)).one()
    logins = dict(line.split(" ") for line in seeded.read_text().splitlines())
    admin = signed_in(app.test_client(), "admin@example.com", logins["admin@example.com"])
    support = signed_in(app.test_client(), "support@example.com", logins["support@example.com"])
    care = signed_in(app.test_client(), "care@example.com", logins["care@example.com"])

    assert "<tbody>" in support.page("/staff/support")
    assert "<tbody>" in care.page("/staff/care")
    assert "Tickets Support handed to Care" in care.page("/staff/care")
    assert 'class="card reply"' in support.page("/staff/replies")
    dashboard = admin.page("/staff/dashboard")
    assert "hidden: under 5" in dashboard and "Acme Logistics, week of" in dashboard
    assert "Lee Park (hidden: fewer than 5)" in dashboard
    assert "<tbody>" in admin.page("/staff/contractors")
    assert "Ticket opened" in admin.page(f"/staff/contractors/{with_ticket}")
    assert "Claimed ticket" in admin.page("/staff/audit")
    assert "sends in the next 14 days" in admin.page(f"/staff/surveys/{survey_id}")
    queue = support.page("/staff/support")
    for state in ("On time", "Due soon", "Overdue"):
        assert f">{state}</span>" in queue, state
    assert ">Due soon</span>" in care.page("/staff/care")
    assert "Promises kept" in dashboard
