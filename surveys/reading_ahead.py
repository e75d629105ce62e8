"""Analysing a leased batch of replies before the write transaction opens.

Analysis is most of a reader's CPU time. Done inside the write transaction it holds SQLite's one
write lock (and, on PostgreSQL, the batch's row and client locks) for all that time, so a
second reader only waits. Here it runs with no transaction open: from a read of the messages,
their senders' languages and the scale of the survey each most likely answers, each text (and
the joined text of an answer sent in pieces) is analysed into :class:`Ahead`, the whole batch
in one call of the learned reader (:func:`surveys.analysis.analyze_many`).

The write transaction then asks :meth:`Ahead.analysis` for exactly the inputs it has settled on
(text, scale, known language, the must-catch rules in force); a guess that turned out wrong is
simply not found, and that reply is analysed there as before. So the outcome is the same with or
without this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach.models import Channel, Contractor, Invitation, Message, Survey
from surveys import must_catch, rules
from surveys.analysis import Analysis, analyze_many
from surveys.answers import MAX_REPLY_CHARS, message_text
from surveys.matching import _ANSWERABLE, ANSWER_WINDOW, GROUP_WINDOW
from surveys.models import Response

AnalysisKey = tuple[str, int, str | None]


@dataclass
class Ahead:
    """Analyses made before the write transaction, and the rules they were made with."""

    ruleset: rules.Ruleset | None = None
    analyses: dict[AnalysisKey, Analysis] = field(default_factory=dict)

    def analysis(
        self, text: str, scale_max: int, known: str | None, in_force: rules.Ruleset
    ) -> Analysis | None:
        if in_force != self.ruleset:
            return None  # staff changed the must-catch phrases in between
        return self.analyses.get((text, scale_max, known))


def read_ahead(session: Session, ids: Sequence[int]) -> Ahead:
    """Analyse the messages ``ids`` as the write transaction most likely will."""
    messages = list(
        session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))
    )
    ahead = Ahead(ruleset=must_catch.in_force(session))
    if not messages:
        return ahead
    senders = _senders(session, messages)
    scales = _scales(session, {c.id for c in senders.values()}, messages)
    answers = _answers_so_far(session, senders, messages)
    keys: dict[AnalysisKey, None] = {}  # in reading order, each once
    for message in messages:
        text = message_text(message)
        contractor = senders.get((message.channel, message.from_address.strip().lower()))
        known = contractor.language if contractor is not None else None
        scale = scales.get(contractor.id, 5) if contractor is not None else 5
        if contractor is not None and message.channel == Channel.SMS:
            before = answers.get(contractor.id)
            if before is not None and before[0] >= message.created_at - GROUP_WINDOW:
                text = f"{before[1]}\n{text}".strip()[:MAX_REPLY_CHARS]
            answers[contractor.id] = (message.created_at, text)
        keys[(text, scale, known)] = None
    ahead.analyses = dict(
        zip(keys, analyze_many(list(keys), must_catch=ahead.ruleset), strict=True)
    )
    return ahead


def _senders(session: Session, messages: Sequence[Message]) -> dict[tuple[str, str], Contractor]:
    found: dict[tuple[str, str], Contractor] = {}
    for channel, column in ((Channel.SMS, Contractor.phone), (Channel.EMAIL, Contractor.email)):
        addresses = {m.from_address.strip().lower() for m in messages if m.channel == channel}
        if not addresses - {""}:
            continue
        lowered = func.lower(column)
        for address, contractor in session.execute(
            select(lowered, Contractor).where(lowered.in_(addresses))
        ):
            found.setdefault((channel, address), contractor)
    return found


def _scales(session: Session, ids: set[int], messages: Sequence[Message]) -> dict[int, int]:
    """contractor id -> the scale of their newest invitation that takes answers."""
    if not ids:
        return {}
    earliest = min(m.created_at for m in messages)
    scales: dict[int, int] = {}
    for contractor_id, scale in session.execute(
        select(Invitation.contractor_id, Invitation.survey_id)
        .where(
            Invitation.contractor_id.in_(ids),
            Invitation.status.in_(_ANSWERABLE),
            Invitation.sent_at >= earliest - ANSWER_WINDOW,
        )
        .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
    ):
        scales.setdefault(contractor_id, scale)
    return _survey_scales(session, scales)


def _survey_scales(session: Session, survey_of: dict[int, int]) -> dict[int, int]:
    if not survey_of:
        return {}
    scale: dict[int, int] = {
        survey_id: scale_max
        for survey_id, scale_max in session.execute(
            select(Survey.id, Survey.scale_max).where(Survey.id.in_(set(survey_of.values())))
        )
    }
    return {c: scale[s] for c, s in survey_of.items() if s in scale}


def _answers_so_far(
    session: Session, senders: dict[tuple[str, str], Contractor], messages: Sequence[Message]
) -> dict[int, tuple[datetime, str]]:
    """contractor id -> (when their newest SMS read came, the text of the reply holding it),
    for texts read within GROUP_WINDOW before the batch's first: an answer this batch may
    continue."""
    ids = {c.id for (channel, _), c in senders.items() if channel == Channel.SMS}
    if not ids:
        return {}
    earliest = min(m.created_at for m in messages)
    newest: dict[int, tuple[datetime, int]] = {}
    for contractor_id, created_at, response_id in session.execute(
        select(Message.contractor_id, Message.created_at, Message.response_id).where(
            Message.contractor_id.in_(ids),
            Message.channel == Channel.SMS,
            Message.response_id.is_not(None),
            Message.created_at >= earliest - GROUP_WINDOW,
        )
    ):
        known = newest.get(contractor_id) if contractor_id is not None else None
        if (
            contractor_id is not None
            and response_id is not None
            and (known is None or known[0] < created_at)
        ):
            newest[contractor_id] = (created_at, response_id)
    texts: dict[int, str] = {
        response_id: text
        for response_id, text in session.execute(
            select(Response.id, Response.text).where(
                Response.id.in_({r for _, r in newest.values()})
            )
        )
    }
    return {c: (at, texts[r]) for c, (at, r) in newest.items() if r in texts}
