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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from core.clock import now
from outreach import consent
from outreach.delivery import advance_invitation
from outreach.email_text import reply_text
from outreach.models import Channel, Contractor, Direction, Invitation, InvitationStatus, Message
from surveys import language, must_catch, rules, triage
from surveys.analysis import Analysis, analyze
from surveys.categories import Category
from surveys.models import Response
from surveys.scoring import extract_rating, is_low
from surveys.triage import ANSWER_WINDOW

log = logging.getLogger(__name__)

__all__ = [
    "ANSWER_WINDOW",
    "GROUP_WINDOW",
    "find_contractor",
    "open_invitation",
    "pending_message_ids",
    "process_message",
    "read_batch",
    "record_failure",
    "urgent_waiting",
]

# Texts this close together are one answer: "4" and then "timecard is late".
GROUP_WINDOW = timedelta(minutes=5)
MAX_ATTEMPTS = 5
# Enough for any real answer; a pasted novel is cut before it is analysed.
MAX_REPLY_CHARS = 4000
MAX_EMAIL_SCAN_CHARS = 100_000
_ANSWERABLE = (InvitationStatus.SENT, InvitationStatus.DELIVERED, InvitationStatus.ANSWERED)
# Replies read in one transaction: one commit (one WAL flush) for many, yet short enough that
# a webhook waiting for SQLite's write lock waits a fraction of a second.
BATCH = 100
# How many of the newest waiting replies a reader screens for must-catch problems per look,
# so that a safety report is read before a bulk backlog stored ahead of it.
URGENT_SCAN = 500
URGENT_PER_BATCH = 20


def _address(message: Message) -> str:
    return message.from_address.strip().lower()


def _address_column(channel: str) -> ColumnElement[str | None]:
    return Contractor.phone if channel == Channel.SMS else Contractor.email  # type: ignore[return-value]


_ACTIVE_FIRST = (case((Contractor.status == "active", 0), else_=1), Contractor.id.desc())


def find_contractor(session: Session, message: Message) -> Contractor | None:
    """The contractor an address belongs to; an active one first when two share it."""
    address = _address(message)
    if not address:
        return None
    return session.scalar(
        select(Contractor)
        .where(func.lower(_address_column(message.channel)) == address)
        .order_by(*_ACTIVE_FIRST)
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


@dataclass
class _Batch:
    """What reading a batch of messages needs, loaded for the whole batch at once and kept up
    to date as each message is read, so that a reply costs no look-ups of its own."""

    # (channel, lower-case address) -> the contractor it belongs to, None when nobody's
    contractors: dict[tuple[str, str], Contractor | None] = field(default_factory=dict)
    # contractor id -> invitations that took answers when the earliest message came, newest first
    invitations: dict[int, list[Invitation]] = field(default_factory=dict)
    # contractor id -> (created_at, message id, response or its id) of their SMS texts read
    texts: dict[int, list[tuple[datetime, int, Response | int]]] = field(default_factory=dict)
    # reply -> the bodies of this batch's texts that it holds, in order
    bodies: dict[Response, list[str]] = field(default_factory=dict)
    # messages read, and the reply each went into: linked once the replies have ids
    read_into: list[tuple[Message, Response]] = field(default_factory=list)
    memory: triage.Memory = field(default_factory=triage.Memory)

    @classmethod
    def load(cls, session: Session, messages: Sequence[Message]) -> _Batch:
        batch = cls()
        if not messages:
            return batch
        for channel in (Channel.SMS, Channel.EMAIL):
            addresses = {_address(m) for m in messages if m.channel == channel} - {""}
            for address in addresses:
                batch.contractors[(channel, address)] = None
            if not addresses:
                continue
            column = func.lower(_address_column(channel))
            found = session.execute(
                select(column, Contractor).where(column.in_(addresses)).order_by(*_ACTIVE_FIRST)
            )
            for address, contractor in found:
                if batch.contractors.get((channel, address)) is None:
                    batch.contractors[(channel, address)] = contractor
        ids = {c.id for c in batch.contractors.values() if c is not None}
        if not ids:
            return batch
        earliest = min(m.created_at for m in messages)
        latest = max(m.created_at for m in messages)
        for invitation in session.scalars(
            select(Invitation)
            .where(
                Invitation.contractor_id.in_(ids),
                Invitation.status.in_(_ANSWERABLE),
                Invitation.sent_at >= earliest - ANSWER_WINDOW,
            )
            .options(selectinload(Invitation.survey))
            .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
        ):
            batch.invitations.setdefault(invitation.contractor_id, []).append(invitation)
        for sender, created_at, message_id, response_id in session.execute(
            select(
                Message.contractor_id, Message.created_at, Message.id, Message.response_id
            ).where(
                Message.contractor_id.in_(ids),
                Message.direction == Direction.INBOUND,
                Message.channel == Channel.SMS,
                Message.response_id.is_not(None),
                Message.created_at >= earliest - GROUP_WINDOW,
                Message.created_at <= latest,
            )
        ):
            if sender is not None and response_id is not None:  # both, by the query
                batch.texts.setdefault(sender, []).append((created_at, message_id, response_id))
        _take_clients(session, {c.client for c in batch.contractors.values() if c is not None})
        batch.memory = triage.Memory.load(session, ids, earliest)
        return batch

    def contractor(self, session: Session, message: Message) -> Contractor | None:
        key = (message.channel, _address(message))
        if key not in self.contractors:
            self.contractors[key] = find_contractor(session, message)
        return self.contractors[key]

    def open_invitation(self, contractor_id: int, at: datetime) -> Invitation | None:
        for invitation in self.invitations.get(contractor_id, ()):
            if answerable(invitation, at):
                return invitation
        return None

    def grouped_response(
        self, session: Session, contractor_id: int, message: Message
    ) -> Response | None:
        """The answer this text continues: the one holding the contractor's previous text,
        when that came less than GROUP_WINDOW before this one."""
        earlier = [
            text
            for text in self.texts.get(contractor_id, ())
            if text[1] != message.id
            and message.created_at - GROUP_WINDOW <= text[0] <= message.created_at
        ]
        if not earlier:
            return None
        held = max(earlier, key=lambda text: (text[0], text[1]))[2]
        return held if isinstance(held, Response) else session.get(Response, held)

    def earlier_texts(self, session: Session, response: Response) -> list[str]:
        """What the contractor sent before into ``response``: stored texts, then this batch's."""
        stored = _earlier_texts(session, response.id) if response.id is not None else []
        return stored + self.bodies.get(response, [])

    def read(self, contractor_id: int | None, message: Message, response: Response) -> None:
        self.read_into.append((message, response))
        self.bodies.setdefault(response, []).append(message.body)
        if contractor_id is not None and message.channel == Channel.SMS:
            self.texts.setdefault(contractor_id, []).append(
                (message.created_at, message.id, response)
            )

    def finish(self, session: Session) -> None:
        """Link each message read to its reply: one flush for the batch gives them their ids."""
        session.flush()
        for message, response in self.read_into:
            message.response_id = response.id
            message.invitation_id = response.invitation_id
        self.read_into.clear()


@dataclass
class _Match:
    contractor: Contractor | None
    invitation: Invitation | None
    # What the reply claimed to answer, when that invitation no longer takes answers.
    late_for: Invitation | None = None


def _match_email(session: Session, message: Message, batch: _Batch) -> _Match:
    token = (message.payload or {}).get("reply_token")
    named = (
        session.scalar(select(Invitation).where(Invitation.reply_token == token)) if token else None
    )
    if named is not None:
        if answerable(named, message.created_at):
            return _Match(named.contractor, named)
        return _Match(named.contractor, None, late_for=named)
    contractor = batch.contractor(session, message)
    if contractor is None:
        return _Match(None, None)
    return _Match(contractor, batch.open_invitation(contractor.id, message.created_at))


def _match_sms(session: Session, message: Message, batch: _Batch) -> _Match:
    contractor = batch.contractor(session, message)
    if contractor is None:
        return _Match(None, None)
    invitation = batch.open_invitation(contractor.id, message.created_at)
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


def _take_clients(session: Session, clients: set[str]) -> None:
    """On PostgreSQL, hold these clients until the transaction ends, so that readers racing
    over one client's replies take turns at its alerts (one open client hot-spot, not two;
    no deadlock over its alert rows): in one order, and before triage loads what it knows.
    SQLite has one writer at a time already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for client in sorted(clients):
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(client))))


def _waiting() -> list[ColumnElement[bool]]:
    return [
        Message.direction == Direction.INBOUND,
        Message.processed_at.is_(None),
        Message.process_attempts < MAX_ATTEMPTS,
    ]


def claim(session: Session, message_id: int) -> bool:
    """Take a message for processing; False when another worker already has."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.processed_at.is_(None))
        .values(processed_at=now())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _claim_where(session: Session, where: Iterable[ColumnElement[bool]], limit: int) -> list[int]:
    """Mark up to ``limit`` waiting messages read, in the caller's transaction: a crash rolls
    the mark back with the work, so what a dead reader held waits again.

    One statement, so two readers never take the same row: on PostgreSQL the rows another
    reader holds are skipped (FOR UPDATE SKIP LOCKED); SQLite has one writer at a time, and
    the next reader's statement runs after the first reader commits.
    """
    chosen = select(Message.id).where(*_waiting(), *where).order_by(Message.id).limit(limit)
    claim_ = (
        update(Message)
        .values(processed_at=now())
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two statements: inside an UPDATE, PostgreSQL may run a LIMIT ... SKIP LOCKED
        # subquery more than once, each run taking rows of its own.
        ids = list(session.scalars(chosen.with_for_update(skip_locked=True)))
        taken: Iterable[int] = session.scalars(claim_.where(Message.id.in_(ids))) if ids else []
    else:
        taken = session.scalars(
            claim_.where(Message.id.in_(chosen.scalar_subquery()), Message.processed_at.is_(None))
        )
    return sorted(taken)


def _after_earlier_texts(session: Session, ids: list[int]) -> list[int]:
    """``ids`` less the messages that must wait for an earlier text from the same sender,
    which another reader holds: texts of one answer are read in order, each seeing the one
    before. Those left out are released, and read once the earlier one is."""
    if not ids:
        return ids
    senders: dict[int, str] = {
        i: address
        for i, address in session.execute(
            select(Message.id, Message.from_address).where(Message.id.in_(ids))
        )
    }
    held_elsewhere: dict[str, int] = {
        address: first
        for address, first in session.execute(
            select(Message.from_address, func.min(Message.id))
            .where(*_waiting(), Message.from_address.in_(set(senders.values())))
            .group_by(Message.from_address)
        )
    }
    behind = [i for i in ids if held_elsewhere.get(senders[i], i) < i]
    if behind:
        session.execute(
            update(Message)
            .where(Message.id.in_(behind))
            .values(processed_at=None)
            .execution_options(synchronize_session=False)
        )
    return [i for i in ids if i not in set(behind)]


def urgent_waiting(session: Session, after_id: int) -> tuple[list[int], int]:
    """Waiting messages after ``after_id`` that a must-catch rule flags (a safety report, say),
    among the newest URGENT_SCAN, and the newest id looked at."""
    newest = list(
        session.execute(
            select(Message.id, Message.body)
            .where(*_waiting(), Message.id > after_id)
            .order_by(Message.id.desc())
            .limit(URGENT_SCAN)
        )
    )
    if not newest:
        return [], after_id
    screen = rules.ruleset()
    urgent = sorted(i for i, body in newest if screen.scan(body[:MAX_REPLY_CHARS]) is not None)
    return urgent[:URGENT_PER_BATCH], newest[0][0]


def read_batch(session: Session, limit: int = BATCH, first: Sequence[int] = ()) -> list[int]:
    """Claim and read up to ``limit`` waiting messages (``first`` ahead of the oldest), in the
    caller's transaction. Returns the ids read, in the order read."""
    ids = _claim_where(session, [Message.id.in_(first)], len(first)) if first else []
    ids += _claim_where(session, [], max(limit - len(ids), 0))
    ids = _after_earlier_texts(session, sorted(set(ids)))
    if not ids:
        return []
    messages = list(
        session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))
    )
    batch = _Batch.load(session, messages)
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
    batch = _Batch.load(session, [message])
    response = _read(session, message, batch)
    batch.finish(session)
    return response


def _read(session: Session, message: Message, batch: _Batch) -> Response:
    text = message_text(message)

    response: Response | None = None
    if message.channel == Channel.EMAIL:
        match = _match_email(session, message, batch)
    else:
        match = _match_sms(session, message, batch)
        if match.contractor is not None:
            response = batch.grouped_response(session, match.contractor.id, message)
    contractor = match.contractor
    if contractor is not None:
        message.contractor_id = contractor.id

    parts = [text]
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
    analysis = _analyze(
        response.text, parts, response.scale_max, known, must_catch.in_force(session)
    )
    _record(response, analysis, match, message)
    if contractor is not None:
        _learn_language(contractor, text)
    batch.read(contractor.id if contractor else None, message, response)
    invitation = response.invitation
    if invitation is not None and advance_invitation(invitation, InvitationStatus.ANSWERED):
        invitation.answered_at = message.created_at
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
    return response


def _earlier_texts(session: Session, response_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Message.body).where(Message.response_id == response_id).order_by(Message.id)
        )
    )


def _analyze(
    text: str, parts: list[str], scale_max: int, known: str | None, in_force: rules.Ruleset
) -> Analysis:
    """Read the whole answer; when it was sent in pieces, a rating sent on its own ("4", then
    "timecard is late") counts even if the joined text reads differently."""
    analysis = analyze(text, scale_max, known, must_catch=in_force)
    if analysis.rating is not None or len(parts) < 2:
        return analysis
    for part in parts:
        rating = extract_rating(part, scale_max)
        if rating is not None:
            low = is_low(rating, scale_max)
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
        consent.record_opt_out(
            session, address, Channel.EMAIL, source="plain_language", message_id=message.id
        )


def pending_message_ids(session: Session, limit: int = 200) -> list[int]:
    return list(
        session.scalars(select(Message.id).where(*_waiting()).order_by(Message.id).limit(limit))
    )


def record_failure(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(Message)
        .where(Message.id == message_id)
        .values(process_attempts=Message.process_attempts + 1, process_error=error[:2000])
    )
