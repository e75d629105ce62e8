"""From a stored inbound message to a Response: who sent it, what it answers, what it says.

A batch of waiting messages is claimed (:mod:`surveys.claims`), each is matched to its
contractor and invitation (:mod:`surveys.matching`), its text read, joined with the texts it
follows (:mod:`surveys.answers`), and written here as a reply with its tickets and alerts.
Quoted email text and signatures are stripped first. A reply that arrives after the answer
window, or when no invitation is open, is still stored and read, as unsolicited. A reply from
an address we do not know is kept, read and flagged for staff, never dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach import consent
from outreach.models import Channel, Contractor, Message
from surveys import conversations, language, triage
from surveys.analysis import Analysis
from surveys.answers import MAX_REPLY_CHARS, analyze_answer, message_text
from surveys.categories import Category
from surveys.claims import after_earlier_texts, claim, claim_where
from surveys.matching import Batch, Match, match_email, match_sms
from surveys.models import Response
from surveys.reading_ahead import Ahead

log = logging.getLogger(__name__)

# Replies read in one transaction: one commit (one WAL flush) for many, yet short enough that
# a webhook waiting for SQLite's write lock waits a fraction of a second.
BATCH = 100


def read_batch(
    session: Session, limit: int = BATCH, first: Sequence[int] = (), ahead: Ahead | None = None
) -> list[int]:
    """Claim and read up to ``limit`` waiting messages (``first`` ahead of the oldest), in the
    caller's transaction, with the analyses in ``ahead`` where they fit. Returns the ids read,
    in the order read."""
    ids = claim_where(session, [Message.id.in_(first)], len(first)) if first else []
    ids += claim_where(session, [], max(limit - len(ids), 0))
    ids = after_earlier_texts(session, sorted(set(ids)))
    if not ids:
        return []
    messages = list(
        session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))
    )
    batch = Batch.load(session, messages)
    batch.ahead = ahead
    for message in messages:
        _read(session, message, batch)
    batch.finish(session)
    return ids


def process_message(session: Session, message_id: int) -> Response | None:
    """Read one inbound message into a Response and its tickets and alerts.

    Runs in the caller's transaction, so a crash leaves the message waiting, not half-done.
    """
    if not claim(session, message_id):
        return None
    message = session.get_one(Message, message_id)
    batch = Batch.load(session, [message])
    response = _read(session, message, batch)
    batch.finish(session)
    return response


def _read(session: Session, message: Message, batch: Batch) -> Response:
    text = message_text(message)

    if message.channel == Channel.EMAIL:
        match = match_email(session, message, batch)
    else:
        match = match_sms(session, message, batch)
    contractor = match.contractor
    return conversations.continue_or_answer(
        session,
        contractor.id if contractor and contractor.id in batch.conversing else None,
        partial(_read_into, session, message, batch, match, text),
    )


def _read_into(
    session: Session,
    message: Message,
    batch: Batch,
    match: Match,
    text: str,
    response: Response | None,
) -> tuple[Response, Analysis, str]:
    """Read ``message`` into ``response`` (an open survey conversation's), the answer it
    continues, or a new one."""
    contractor = match.contractor
    if response is None and message.channel == Channel.SMS and contractor is not None:
        response = batch.grouped_response(session, contractor.id, message)

    parts = [text]
    made = response is None
    if response is not None:
        parts = batch.earlier_texts(session, response) + parts
        response.text = f"{response.text}\n{text}".strip()[:MAX_REPLY_CHARS]
    else:
        invitation = match.invitation
        # The relationships too: the reply has no id until the batch is flushed, and triage
        # follows them.
        response = Response(
            contractor_id=contractor.id if contractor else None,
            contractor=contractor,
            invitation_id=invitation.id if invitation else None,
            invitation=invitation,
            channel=message.channel,
            text=text,
            scale_max=invitation.survey.scale_max if invitation else _usual_scale(match),
            created_at=message.created_at,
            flags={},
        )
        session.add(response)

    known = contractor.language if contractor is not None else None
    analysis = analyze_answer(
        response.text, parts, response.scale_max, known, batch.must_catch(session), batch.ahead
    )
    _record(response, analysis, match, message)
    if contractor is not None:
        _learn_language(contractor, text)
    batch.read(contractor.id if contractor else None, message, response, made=made)
    if response.invitation is not None:
        batch.answer(response.invitation, message.created_at)
    if analysis.opt_out and message.channel == Channel.EMAIL:
        _opt_out_email(session, message, contractor)
    elif analysis.opt_out and message.channel == Channel.SMS:
        # The webhook settled the exact keywords already; this is a request to stop in other
        # words, which FCC 24-18 says to honour too ("by any reasonable means").
        consent.record_opt_out(
            session,
            message.from_address,
            Channel.SMS,
            source="plain_language",
            message_id=message.id,
        )
    triage.apply(session, response, analysis, batch.memory)
    return response, analysis, text


# A reply this long in one language, confidently told, is evidence of the contractor's own.
LANGUAGE_EVIDENCE_WORDS = 4


def _learn_language(contractor: Contractor, text: str) -> None:
    """Write to contractors in the language they write in: a roster may not say, and a
    contractor who answers an English survey in Spanish is telling us."""
    if len(text.split()) < LANGUAGE_EVIDENCE_WORDS:
        return
    said = language.detect(text)
    if said is not None and said != contractor.language:
        contractor.language = said


def _usual_scale(match: Match) -> int:
    late = match.late_for
    return late.survey.scale_max if late is not None else 5


def _record(response: Response, analysis: Analysis, match: Match, message: Message) -> None:
    response.rating = analysis.rating
    response.polarity = analysis.polarity
    response.subjectivity = analysis.subjectivity
    response.vader_compound = analysis.vader_compound
    response.negative = analysis.negative
    response.category = analysis.category
    response.quit_intent = analysis.quit_intent
    response.lang = analysis.lang
    response.model_version = analysis.model
    response.probabilities = analysis.probabilities
    response.needs_look = analysis.needs_look and response.reviewed_at is None
    flags = dict(response.flags or {})
    unknown = match.contractor is None
    flags.update(
        {
            "rule": analysis.rule,
            "unsure": list(analysis.unsure),
            "cues": list(analysis.cues),
            "opt_out": analysis.opt_out,
            "unsolicited": response.invitation_id is None,
            "unknown_sender": unknown,
            "from": message.from_address if unknown else None,
        }
    )
    if response.invitation_id is None and match.late_for is not None:
        flags["late_for_invitation"] = match.late_for.id
    if message.channel == Channel.EMAIL:
        flags["routed_by"] = (message.payload or {}).get("routed_by")
        # Parts of the email no charset could read: staff see it was garbled, not what it said.
        flags["undecodable"] = list((message.payload or {}).get("undecodable") or [])
    response.flags = flags
    response.flagged = is_flagged(
        analysis,
        unknown_sender=unknown,
        needs_look=response.needs_look,
        undecodable=bool(flags.get("undecodable")),
    )


def is_flagged(
    analysis: Analysis,
    *,
    unknown_sender: bool = False,
    needs_look: bool = False,
    undecodable: bool = False,
) -> bool:
    """Whether a reply goes to the staff inbox of flagged replies: a problem, a negative tone or
    quit intent read in it, a sender we do not know, a reader unsure of itself, or an email
    part no charset could read. The worker and the demo history both ask here."""
    return bool(
        analysis.negative
        or analysis.category != Category.NONE
        or analysis.quit_intent
        or unknown_sender
        or needs_look
        or undecodable
    )


def _opt_out_email(session: Session, message: Message, contractor: Contractor | None) -> None:
    """A reply that asks us to stop emailing stops it ("by any reasonable means"): the address
    it came from, and the one we write to when the reply came from another of theirs."""
    addresses = {message.from_address}
    if contractor is not None and contractor.email:
        addresses.add(contractor.email)
    for address in sorted(addresses):
        consent.record_opt_out(
            session, address, Channel.EMAIL, source="plain_language", message_id=message.id
        )
