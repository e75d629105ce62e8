"""The README's "play a contractor" examples work as written against a fresh demo, at any hour:
the SMS and the email contractor they answer as are awake, so their survey has gone out and
the reply answers it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import db
from demo import seed as demo
from outreach.models import Channel, Contractor, Survey
from outreach.schedule import in_hard_window, in_send_window
from surveys.models import Response
from tests.conftest import FrozenClock
from tests.integration.conftest import Live

pytestmark = pytest.mark.slow

# The addresses the README's examples use.
SMS_PLAYER = "+14155550101"
EMAIL_PLAYER = "kim@example.com"


def _seed(live_or_app: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(demo, "INSTANCE_DIR", tmp_path)
    runner = live_or_app.test_cli_runner()  # type: ignore[attr-defined]
    result = runner.invoke(demo.seed_demo_command)
    assert result.exit_code == 0, result.output
    return str(result.output)


@pytest.mark.parametrize("hour", [0, 5, 9, 14, 19, 23])
def test_demo_players_are_in_early_afternoon_whatever_the_hour(
    app,  # type: ignore[no-untyped-def]
    clock: FrozenClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hour: int,
) -> None:
    clock.set(datetime(2026, 3, 4, hour, 20, tzinfo=UTC))
    output = _seed(app, tmp_path, monkeypatch)
    with db.session() as session:
        survey = session.scalars(select(Survey).where(Survey.key == demo.DEMO_SURVEY_KEY)).one()
        players = {
            c.external_id: c
            for c in session.scalars(
                select(Contractor).where(Contractor.external_id.in_(demo.DEMO_PLAYERS))
            )
        }
        assert {(c.phone if c.channel == Channel.SMS else c.email) for c in players.values()} == {
            SMS_PLAYER,
            EMAIL_PLAYER,
        }
        for player in players.values():
            # Awake now and for hours to come: surveys go out at once, replies answer them.
            for later in (0, 4 * 3600):
                at = clock.current.fromtimestamp(clock.current.timestamp() + later, UTC)
                assert in_send_window(at, player.timezone, survey), (player.timezone, at)
                assert in_hard_window(at, player.timezone)
            assert (clock.current.date() - player.start_date).days in {2, 3, 4}
    assert f"Ana Lima {SMS_PLAYER} (sms) or Kim Lee {EMAIL_PLAYER} (email)" in output


def test_demo_players_readme_replies_answer_their_surveys(
    live: Live, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(live.app, tmp_path, monkeypatch)
    from outreach import tick

    tick.tick()  # what cron does first: plan today's surveys and wake the sender
    live.work()
    assert any(m["to"] == SMS_PLAYER for m in live.sandbox.sms())

    # The README's two examples, as written there.
    assert live.sandbox.reply(SMS_PLAYER, "2 my timecard is late again") == 200
    assert live.sandbox.email_reply(EMAIL_PLAYER, "4 all good, badge works now") == 200
    live.work()

    with db.session() as session:
        replies = {
            r.channel: r
            for r in session.scalars(
                select(Response)
                .join(Contractor, Contractor.id == Response.contractor_id)
                .where(Contractor.external_id.in_(demo.DEMO_PLAYERS))
            )
        }
        assert set(replies) == {Channel.SMS, Channel.EMAIL}
        assert all(r.invitation_id is not None for r in replies.values()), "stored as unsolicited"
        assert (replies[Channel.SMS].rating, replies[Channel.SMS].category) == (2, "timecard_pay")
        assert replies[Channel.EMAIL].rating == 4
