"""Statuses with a home: every message status ranked, open work named once, one "flagged"."""

from __future__ import annotations

import pytest

from outreach.delivery import STATUS_RANK, advance_message
from outreach.models import Message, MessageStatus
from surveys.analysis import Analysis
from surveys.models import OPEN_WORK, AlertStatus, TicketStatus
from surveys.replies import is_flagged


def test_message_status_every_outbound_status_has_a_rank() -> None:
    assert set(MessageStatus) - set(STATUS_RANK) == {MessageStatus.RECEIVED}


@pytest.mark.parametrize("final", [MessageStatus.SUPPRESSED, MessageStatus.LOST])
def test_advance_message_ours_final_status_is_not_moved_by_a_late_callback(
    final: MessageStatus,
) -> None:
    message = Message(status=final)

    assert not advance_message(message, MessageStatus.DELIVERED)
    assert message.status == final


def test_open_work_is_every_ticket_and_alert_status_but_resolved() -> None:
    assert set(OPEN_WORK) == (set(TicketStatus) | set(AlertStatus)) - {"resolved"}


def _analysis(**changes: object) -> Analysis:
    base: dict[str, object] = {
        "rating": 5,
        "polarity": 0.5,
        "subjectivity": 0.5,
        "vader_compound": 0.5,
        "negative": False,
        "category": "none",
        "rule": None,
        "priority": None,
        "quit_intent": False,
        "opt_out": False,
        "cues": (),
    }
    return Analysis(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("analysis", "unknown_sender", "needs_look", "flagged"),
    [
        (_analysis(), False, False, False),
        (_analysis(negative=True), False, False, True),
        (_analysis(category="how_to"), False, False, True),
        (_analysis(quit_intent=True), False, False, True),
        (_analysis(), True, False, True),
        (_analysis(), False, True, True),
    ],
)
def test_is_flagged_problem_tone_quit_stranger_or_unsure_reply_is_flagged(
    analysis: Analysis, unknown_sender: bool, needs_look: bool, flagged: bool
) -> None:
    assert is_flagged(analysis, unknown_sender=unknown_sender, needs_look=needs_look) is flagged
