"""From a stored inbound message to a Response: who sent it, what it answers, what it says.

Matching rules:

- **SMS**: the sender's phone finds the contractor; the reply answers their most recent
  invitation still inside its answer window. Texts that follow one another within
  :data:`GROUP_WINDOW` ("4", then "timecard is late") are one answer, read again as a whole.
- **Email**: the ``reply+<token>@`` address, or our Message-ID in In-Reply-To/References,
  names the invitation (the webhook found the token); otherwise the sender's address finds
  the contractor and their open invitation, as for SMS. Quoted text and signatures are
  stripped first.
- A reply that arrives after the answer window, or when no invitation is open, is still
  stored and read, as unsolicited. A reply from an address we do not know is kept, read and
  flagged for staff, never dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from core.clock import now
from outreach import consent
from outreach.delivery import advance_invitation
from outreach.email_inbox import reply_text
from outreach.models import Channel, Contractor, Direction, Invitation, InvitationStatus, Message
from surveys import language, triage
from surveys.analysis import Analysis, analyze
from surveys.categories import Category
from surveys.models import Response
from surveys.scoring import extract_rating
from surveys.triage import ANSWER_WINDOW

log = logging.getLogger(__name__)

__all__ = [
    "ANSWER_WINDOW",
    "GROUP_WINDOW",
    "find_contractor",
    "open_invitation",
    "pending_message_ids",
    "process_message",
    "record_failure",
]

# Texts this close together are one answer: "4" and then "timecard is late".
GROUP_WINDOW = timedelta(minutes=5)
MAX_ATTEMPTS = 5
# Enough for any real answer; a pasted novel is cut before it is analysed.
MAX_REPLY_CHARS = 4000
MAX_EMAIL_SCAN_CHARS = 100_000
_ANSWERABLE = (InvitationStatus.SENT, InvitationStatus.DELIVERED, InvitationStatus.ANSWERED)


def find_contractor(session: Session, message: Message) -> Contractor | None:
    """The contractor an address belongs to; an active one first when two share it."""
    column = Contractor.phone if message.channel == Channel.SMS else Contractor.email
    address = message.from_address.strip().lower()
    if not address:
        return None
    return session.scalar(
        select(Contractor)
        .where(func.lower(column) == address)
        .order_by(case((Contractor.status == "active", 0), else_=1), Contractor.id.desc())
        .limit(1)
    )


def answerable(invitation: Invitation, at: datetime) -> bool:
    """Whether an invitation still takes an answer at ``at``."""
    return (
        invitation.status in _ANSWERABLE
        and invitation.sent_at is not None
        and invitation.sent_at >= at - ANSWER_WINDOW
    )


def open_invitation(
    session: Session, contractor_id: int, at: datetime | None = None
) -> Invitation | None:
    """The contractor's most recent invitation still inside its answer window at ``at``."""
    at = at or now()
    return session.scalar(
        select(Invitation)
        .where(
            Invitation.contractor_id == contractor_id,
            Invitation.status.in_(_ANSWERABLE),
            Invitation.sent_at >= at - ANSWER_WINDOW,
        )
        .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
        .limit(1)
    )


def _grouped_response(session: Session, contractor_id: int, message: Message) -> Response | None:
    """The answer this text continues: the one holding the contractor's previous text, when
    that came less than GROUP_WINDOW before this one."""
    previous = session.scalar(
        select(Message.response_id)
        .where(
            Message.contractor_id == contractor_id,
            Message.direction == Direction.INBOUND,
            Message.channel == Channel.SMS,
            Message.id != message.id,
            Message.response_id.is_not(None),
            Message.created_at >= message.created_at - GROUP_WINDOW,
            Message.created_at <= message.created_at,
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
    return session.get(Response, previous) if previous is not None else None


@dataclass
class _Match:
    contractor: Contractor | None
    invitation: Invitation | None
    # What the reply claimed to answer, when that invitation no longer takes answers.
    late_for: Invitation | None = None


def _match_email(session: Session, message: Message) -> _Match:
    token = (message.payload or {}).get("reply_token")
    named = (
        session.scalar(select(Invitation).where(Invitation.reply_token == token)) if token else None
    )
    if named is not None:
        if answerable(named, message.created_at):
            return _Match(named.contractor, named)
        return _Match(named.contractor, None, late_for=named)
    contractor = find_contractor(session, message)
    if contractor is None:
        return _Match(None, None)
    return _Match(contractor, open_invitation(session, contractor.id, message.created_at))


def _match_sms(session: Session, message: Message) -> _Match:
    contractor = find_contractor(session, message)
    if contractor is None:
        return _Match(None, None)
    invitation = open_invitation(session, contractor.id, message.created_at)
    if invitation is None:
        late = session.scalar(
            select(Invitation)
            .where(Invitation.contractor_id == contractor.id, Invitation.sent_at.is_not(None))
            .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
            .limit(1)
        )
        return _Match(contractor, None, late_for=late)
    return _Match(contractor, invitation)


def message_text(message: Message) -> str:
    """What the contractor said in this message: for email, without the quoted thread."""
    if message.channel != Channel.EMAIL:
        return message.body.strip()[:MAX_REPLY_CHARS]
    # The answer is at the top; a long thread below it need not all be read.
    text = reply_text(message.body[:MAX_EMAIL_SCAN_CHARS])
    # Nothing above the quote (a forward, or an odd layout): better all of it than nothing.
    return (text or message.body).strip()[:MAX_REPLY_CHARS]


def claim(session: Session, message_id: int) -> bool:
    """Take a message for processing; False when another worker already has."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.processed_at.is_(None))
        .values(processed_at=now())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def process_message(session: Session, message_id: int) -> Response | None:
    """Read one inbound message into a Response and its tickets and alerts.

    Runs in the caller's transaction, so a crash leaves the message waiting, not half-done.
    """
    if not claim(session, message_id):
        return None
    message = session.get_one(Message, message_id)
    text = message_text(message)

    response: Response | None = None
    if message.channel == Channel.EMAIL:
        match = _match_email(session, message)
    else:
        match = _match_sms(session, message)
        if match.contractor is not None:
            response = _grouped_response(session, match.contractor.id, message)
    contractor = match.contractor
    if contractor is not None:
        message.contractor_id = contractor.id

    parts = [text]
    if response is not None:
        parts = _earlier_texts(session, response.id) + parts
        response.text = f"{response.text}\n{text}".strip()[:MAX_REPLY_CHARS]
    else:
        invitation = match.invitation
        response = Response(
            contractor_id=contractor.id if contractor else None,
            invitation_id=invitation.id if invitation else None,
            channel=message.channel,
            text=text,
            scale_max=invitation.survey.scale_max if invitation else _usual_scale(match),
            created_at=message.created_at,
            flags={},
        )
        session.add(response)

    known = contractor.language if contractor is not None else None
    analysis = _analyze(response.text, parts, response.scale_max, known)
    _record(response, analysis, match, message)
    if contractor is not None:
        _learn_language(contractor, text)
    session.flush()
    message.response_id = response.id
    message.invitation_id = response.invitation_id
    invitation = response.invitation
    if invitation is not None and advance_invitation(invitation, InvitationStatus.ANSWERED):
        invitation.answered_at = message.created_at
    if analysis.opt_out and message.channel == Channel.EMAIL:
        _opt_out_email(session, message, contractor)
    elif analysis.opt_out and message.channel == Channel.SMS:
        # The webhook settled the exact keywords already; this is a request to stop in other
        # words, which FCC 24-18 says to honour too ("by any reasonable means").
        consent.record_opt_out(session, message.from_address, Channel.SMS, source="plain_language")
    triage.apply(session, response, analysis)
    return response


def _earlier_texts(session: Session, response_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Message.body).where(Message.response_id == response_id).order_by(Message.id)
        )
    )


def _analyze(text: str, parts: list[str], scale_max: int, known: str | None) -> Analysis:
    """Read the whole answer; when it was sent in pieces, a rating sent on its own ("4", then
    "timecard is late") counts even if the joined text reads differently."""
    analysis = analyze(text, scale_max, known)
    if analysis.rating is not None or len(parts) < 2:
        return analysis
    for part in parts:
        rating = extract_rating(part, scale_max)
        if rating is not None:
            low = triage.is_low(rating, scale_max)
            cues = (*analysis.cues, f"rating from its own text: {rating} of {scale_max}")
            return replace(analysis, rating=rating, negative=analysis.negative or low, cues=cues)
    return analysis


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


def _usual_scale(match: _Match) -> int:
    late = match.late_for
    return late.survey.scale_max if late is not None else 5


def _record(response: Response, analysis: Analysis, match: _Match, message: Message) -> None:
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
        consent.record_opt_out(session, address, Channel.EMAIL, source="plain_language")


def pending_message_ids(session: Session, limit: int = 200) -> list[int]:
    return list(
        session.scalars(
            select(Message.id)
            .where(
                Message.direction == Direction.INBOUND,
                Message.processed_at.is_(None),
                Message.process_attempts < MAX_ATTEMPTS,
            )
            .order_by(Message.id)
            .limit(limit)
        )
    )


def record_failure(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(process_attempts=Message.process_attempts + 1, process_error=error[:2000])
    )
