"""An answer's text: what a message says, and an answer sent in pieces read as a whole.

Texts that follow one another ("4", then "timecard is late") are one answer
(:data:`surveys.matching.GROUP_WINDOW`); the reply holds them joined, and a rating sent on its
own still counts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.email_text import reply_text
from outreach.models import Channel, Message
from surveys import rules
from surveys.analysis import Analysis, analyze
from surveys.scoring import extract_rating, is_low

if TYPE_CHECKING:
    from surveys.reading_ahead import Ahead

# Enough for any real answer; a pasted novel is cut before it is analysed.
MAX_REPLY_CHARS = 4000
MAX_EMAIL_SCAN_CHARS = 100_000


def message_text(message: Message) -> str:
    """What the contractor said in this message: for email, without the quoted thread."""
    if message.channel != Channel.EMAIL:
        return message.body.strip()[:MAX_REPLY_CHARS]
    # The answer is at the top; a long thread below it need not all be read.
    text = reply_text(message.body[:MAX_EMAIL_SCAN_CHARS])
    # Nothing above the quote (a forward, or an odd layout): better all of it than nothing.
    return (text or message.body).strip()[:MAX_REPLY_CHARS]


def earlier_texts(session: Session, response_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Message.body).where(Message.response_id == response_id).order_by(Message.id)
        )
    )


def analyze_answer(
    text: str,
    parts: list[str],
    scale_max: int,
    known: str | None,
    in_force: rules.Ruleset,
    ahead: Ahead | None = None,
) -> Analysis:
    """Read the whole answer; when it was sent in pieces, a rating sent on its own ("4", then
    "timecard is late") counts even if the joined text reads differently. ``ahead`` holds
    analyses made before the write transaction, used when made from these very inputs."""
    found = ahead.analysis(text, scale_max, known, in_force) if ahead is not None else None
    analysis = found or analyze(text, scale_max, known, must_catch=in_force)
    if analysis.rating is not None or len(parts) < 2:
        return analysis
    for part in parts:
        rating = extract_rating(part, scale_max)
        if rating is not None:
            low = is_low(rating, scale_max)
            cues = (*analysis.cues, f"rating from its own text: {rating} of {scale_max}")
            return replace(analysis, rating=rating, negative=analysis.negative or low, cues=cues)
    return analysis
