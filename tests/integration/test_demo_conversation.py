"""`flask seed-demo` gives the conversation and notification screens something to show."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import db
from demo import seed as demo
from outreach.models import Message
from staff.notify import jobs
from staff.notify.models import CannedReply, Notification, NotifySettings
from tests.conftest import FrozenClock
from tests.integration.conftest import Live
from tests.staff_helpers import signed_in


def test_demo_shows_threads_and_sends_notifications_about_its_latest_urgent_work(
    live: Live, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "INSTANCE_DIR", tmp_path)
    result = live.app.test_cli_runner().invoke(demo.seed_demo_command)
    assert result.exit_code == 0, result.output
    with db.session() as session:
        staff_texts = [
            m
            for m in session.scalars(select(Message).where(Message.direction == "outbound"))
            if (m.payload or {}).get("staff_user_id")
        ]
        assert staff_texts and {m.status for m in staff_texts} == {"delivered"}
        assert session.scalar(select(func.count(NotifySettings.staff_user_id))) == 3
        assert {c.language for c in session.scalars(select(CannedReply))} == {"en", "es"}
        assert session.scalar(select(func.count(Notification.id))) > 0
        contractor_id = staff_texts[0].contractor_id

    clock.advance(minutes=1)  # the tick after start
    jobs.sweep()
    live.work()

    with db.session() as session:
        statuses = set(session.scalars(select(Notification.status)))
    assert statuses == {"sent"}
    assert {h["kind"] for h in live.sandbox.hooks()} == {"slack", "teams"}
    admin_password = (tmp_path / "demo-logins.txt").read_text().split("\n")[0].split()[1]
    admin = signed_in(live.app.test_client(), "admin@example.com", admin_password)
    assert "sent" in admin.page("/staff/admin/notifications")
    assert "Message from staff" in admin.page(f"/staff/contractors/{contractor_id}")
