"""A send reads what it needs once (issue 11: 22 statements a send before, most of them reloads
after commits), and what its last look must read afresh, it still reads afresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.db import db
from outreach import consent
from outreach.delivery import send_invitation
from outreach.models import ConsentSource, Message
from outreach.pacing import Pacer
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.fakes import FakeChannel
from tests.outreach_helpers import SENDERS, make_invitation, make_survey

# Claim; invitation with contractor and survey; consent; the contact rule; the message row;
# the opt-in confirmation's claim; the last look's consent; the provider's answer; "sent".
# (A first contact adds two: the confirmation put in the text, and its consent event.)
# PostgreSQL adds one: the answer's commit does not wait for the disk (core.db.commit_unflushed).
STATEMENTS_PER_SEND = 9
# The claim with the message row, then the provider's answer: each commit on PostgreSQL waited
# for its WAL flush, and three of them a send kept a paced worker below 20 sends/s (issue 11).
COMMITS_PER_SEND = 2


def _invitation(session: Session, *, consent_on_file: bool) -> tuple[int, str]:
    contractor = make_contractor(session)
    assert contractor.phone is not None
    if consent_on_file:  # the first check loads its row into the sending session
        consent.record_opt_in(session, contractor.phone, "sms", ConsentSource.WEB_FORM)
    invitation = make_invitation(session, make_survey(session), contractor.id)
    session.commit()
    return invitation.id, contractor.phone


def _channels() -> dict[str, FakeChannel]:
    return {"sms": FakeChannel("sms"), "email": FakeChannel("email")}


def _send(
    invitation_id: int,
    channels: dict[str, FakeChannel],
    pacer: Pacer,
    heartbeat: Callable[[], None] | None = None,
) -> str:
    """Send as a dispatcher does: in a session of its own, nothing of the invitation cached."""
    with db.session() as sending:
        return send_invitation(
            sending,
            invitation_id,
            channels,
            senders=SENDERS,
            reply_domain="reply.example.com",
            pacer=pacer,
            heartbeat=heartbeat,
        )


def test_send_invitation_paced_sms_runs_nine_statements_in_two_commits(
    session: Session, clock: FrozenClock, redis_conn: redis.Redis
) -> None:
    invitation_id, _phone = _invitation(session, consent_on_file=False)
    channels = _channels()
    statements: list[str] = []
    commits: list[int] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def commit(_conn: Any) -> None:
        commits.append(len(statements))

    event.listen(db.engine, "before_cursor_execute", count)
    event.listen(db.engine, "commit", commit)
    try:
        status = _send(invitation_id, channels, Pacer(redis_conn, 100))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        event.remove(db.engine, "commit", commit)
    assert status == "sent"
    assert len(channels["sms"].sent) == 1
    postgresql = db.engine.dialect.name == "postgresql"
    assert len(statements) == STATEMENTS_PER_SEND + postgresql, "\n\n".join(statements)
    assert len(commits) == COMMITS_PER_SEND
    claimed_with_row = statements[: commits[0]]
    assert claimed_with_row[0].startswith("UPDATE invitations")
    assert any(s.startswith("INSERT INTO messages") for s in claimed_with_row)


def test_send_invitation_opt_out_while_waiting_for_its_turn_sends_nothing(
    session: Session, clock: FrozenClock, redis_conn: redis.Redis
) -> None:
    """The sending session holds the consent row from its first check; the STOP that lands
    while the send waits for its turn changes that row, and the last look must see it."""
    invitation_id, phone = _invitation(session, consent_on_file=True)
    channels = _channels()
    pacer = Pacer(redis_conn, 1, margin=0.0)
    assert pacer.try_acquire(SENDERS["sms"], 1) == 0.0  # the sender's turn is taken: ~1 s
    stopped: list[bool] = []

    def stop_meanwhile() -> None:
        if not stopped:
            clock.advance(seconds=1)  # after the opt-in, or the two cancel out
            with db.session() as webhook:
                consent.record_opt_out(webhook, phone, "sms", ConsentSource.KEYWORD)
            stopped.append(True)

    status = _send(invitation_id, channels, pacer, heartbeat=stop_meanwhile)
    assert stopped
    assert status == "skipped"
    assert channels["sms"].sent == [] and channels["email"].sent == []
    session.expire_all()
    assert session.scalars(select(Message.status)).all() == ["canceled"]
