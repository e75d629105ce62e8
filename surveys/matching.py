"""Who sent a reply and what it answers.

- **SMS**: the sender's phone finds the contractor; the reply answers their most recent
  invitation still inside its answer window. Texts that follow one another within
  :data:`GROUP_WINDOW` ("4", then "timecard is late") are one answer.
- **Email**: the ``reply+<token>@`` address, or our Message-ID in In-Reply-To/References,
  names the invitation (the webhook found the token); otherwise the sender's address finds
  the contractor and their open invitation, as for SMS.
- A reply that arrives after the answer window, or when no invitation is open, answers
  nothing (it is read as unsolicited); :class:`Match` says which invitation it was late for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from core.clock import now
from outreach.delivery.statuses import ranked_below
from outreach.models import Channel, Contractor, Direction, Invitation, InvitationStatus, Message
from surveys import must_catch, rules
from surveys.answers import earlier_texts
from surveys.care import raise_hotspots
from surveys.flow_models import Conversation
from surveys.models import Response
from surveys.triage_memory import Memory

if TYPE_CHECKING:
    from surveys.reading_ahead import Ahead

# How long after it went out an invitation still takes its answer.
ANSWER_WINDOW = timedelta(days=7)
# Texts this close together are one answer: "4" and then "timecard is late".
GROUP_WINDOW = timedelta(minutes=5)
_ANSWERABLE = (InvitationStatus.SENT, InvitationStatus.DELIVERED, InvitationStatus.ANSWERED)


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
class Batch:
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
    # reply id -> the bodies of the stored texts it held when the batch began, in order: for
    # the replies a text of this batch may join (an answer's or an open conversation's)
    stored_bodies: dict[int, list[str]] = field(default_factory=dict)
    # replies this batch made: stored texts hold none of them until the batch is finished
    made: set[Response] = field(default_factory=set)
    # messages read, their senders and the reply each went into: linked once the replies
    # have ids
    read_into: list[tuple[Message, int | None, Response]] = field(default_factory=list)
    # invitation -> when its answer came, for those this batch answered
    answered: dict[Invitation, datetime] = field(default_factory=dict)
    memory: Memory = field(default_factory=Memory)
    # analyses made before the write transaction (surveys.reading_ahead), if any
    ahead: Ahead | None = None
    in_force: rules.Ruleset | None = None
    # contractors who may be in a survey conversation: those with one open when the batch was
    # loaded, and those read since (a reply may have begun one); for the rest, asking costs a
    # query a reply and can only answer no
    conversing: set[int] = field(default_factory=set)

    def must_catch(self, session: Session) -> rules.Ruleset:
        """The must-catch rules in force, looked up once for the batch."""
        if self.in_force is None:
            self.in_force = must_catch.in_force(session)
        return self.in_force

    @classmethod
    def load(cls, session: Session, messages: Sequence[Message]) -> Batch:
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
        joined = {r for texts in batch.texts.values() for _, _, r in texts if isinstance(r, int)}
        for contractor_id, response_id in session.execute(
            select(Conversation.open_for, Conversation.response_id).where(
                Conversation.open_for.in_(ids)
            )
        ):
            if contractor_id is not None:  # by the query
                batch.conversing.add(contractor_id)
            if response_id is not None:
                joined.add(response_id)
        batch._load_joinable(session, joined)
        batch.memory = Memory.load(session, ids, earliest)
        return batch

    def _load_joinable(self, session: Session, ids: set[int]) -> None:
        """The replies this batch's texts may join, and the stored texts each holds: a
        statement each for the whole batch, where asking as each text is read cost two (and a
        flush of the batch before each)."""
        if not ids:
            return
        # Into the session's identity map: grouped_response and a conversation's reply then
        # find them there.
        list(session.scalars(select(Response).where(Response.id.in_(ids))))
        self.stored_bodies.update({response_id: [] for response_id in ids})
        for response_id, body in session.execute(
            select(Message.response_id, Message.body)
            .where(Message.response_id.in_(ids))
            .order_by(Message.id)
        ):
            if response_id is not None:  # by the query
                self.stored_bodies[response_id].append(body)

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
        stored: list[str] = []
        if response.id is not None and response not in self.made:
            if response.id not in self.stored_bodies:
                # Not a reply the batch expected a text to join: asked once, and without a
                # flush, since what links texts to replies is written only as the batch
                # finishes (_link_messages), never by the session's unit of work.
                with session.no_autoflush:
                    self.stored_bodies[response.id] = earlier_texts(session, response.id)
            stored = self.stored_bodies[response.id]
        return stored + self.bodies.get(response, [])

    def read(
        self, contractor_id: int | None, message: Message, response: Response, *, made: bool
    ) -> None:
        """``message`` was read into ``response``, a reply the batch ``made`` or joined."""
        self.read_into.append((message, contractor_id, response))
        if made:
            self.made.add(response)
        if contractor_id is not None and _may_converse(response):
            self.conversing.add(contractor_id)
        self.bodies.setdefault(response, []).append(message.body)
        if contractor_id is not None and message.channel == Channel.SMS:
            self.texts.setdefault(contractor_id, []).append(
                (message.created_at, message.id, response)
            )

    def answer(self, invitation: Invitation, at: datetime) -> None:
        """``invitation`` was answered at ``at``: moved once the batch is read (the first
        answer's time wins)."""
        self.answered.setdefault(invitation, at)

    def finish(self, session: Session) -> None:
        """Write what the batch read as plain rows, a statement per kind for the whole batch:
        one flush gives the replies (and their tickets and alerts) their ids; then the batch's
        client hot-spots, which wait for what other readers commit; then the links of replies
        to tickets and alerts, of messages to replies, and the invitations answered."""
        session.flush()
        raise_hotspots(session, self.memory)
        session.flush()  # a hot-spot alert opened just now needs its id for its links
        self.memory.links.write(session)
        self._link_messages(session)
        self._move_invitations(session)

    def _link_messages(self, session: Session) -> None:
        if not self.read_into:
            return
        table = cast(Table, Message.__table__)
        rows = []
        for message, contractor_id, response in self.read_into:
            values = {
                "contractor_id": contractor_id or message.contractor_id,
                "response_id": response.id,
                "invitation_id": response.invitation_id,
            }
            # As written, without marking the message changed: the session sees what the
            # UPDATE below writes, and does not write it again one row at a time.
            for name, value in values.items():
                set_committed_value(message, name, value)
            rows.append({"message": message.id, **{f"new_{k}": v for k, v in values.items()}})
        session.execute(
            table.update()
            .where(table.c.id == bindparam("message"))
            .values({name: bindparam(f"new_{name}") for name in values}),
            rows,
        )
        self.read_into.clear()

    def _move_invitations(self, session: Session) -> None:
        """Answered, by one compare-and-set UPDATE for the batch: an invitation already past
        answered (opted out, say) keeps its status."""
        if not self.answered:
            return
        table = cast(Table, Invitation.__table__)
        moved_at = now()
        rows = []
        for invitation, at in self.answered.items():
            if invitation.status not in ranked_below(InvitationStatus.ANSWERED):
                continue
            rows.append({"invitation": invitation.id, "at": at})
            set_committed_value(invitation, "status", InvitationStatus.ANSWERED)
            set_committed_value(invitation, "status_changed_at", moved_at)
            set_committed_value(invitation, "answered_at", at)
        if rows:
            session.execute(
                table.update()
                .where(
                    table.c.id == bindparam("invitation"),
                    # One bound value each: executemany takes no expanding IN.
                    or_(
                        *(
                            table.c.status == bindparam(f"below_{n}", status)
                            for n, status in enumerate(ranked_below(InvitationStatus.ANSWERED))
                        )
                    ),
                )
                .values(
                    status=InvitationStatus.ANSWERED.value,
                    status_changed_at=moved_at,
                    answered_at=bindparam("at"),
                ),
                rows,
            )
        self.answered.clear()


def _may_converse(response: Response) -> bool:
    """Whether reading ``response`` may have begun a survey conversation: only an answer to
    a survey with a flow begins one (surveys.conversations._start)."""
    invitation = response.invitation
    return invitation is not None and bool(invitation.survey.flow)


@dataclass
class Match:
    contractor: Contractor | None
    invitation: Invitation | None
    # What the reply claimed to answer, when that invitation no longer takes answers.
    late_for: Invitation | None = None


def match_email(session: Session, message: Message, batch: Batch) -> Match:
    token = (message.payload or {}).get("reply_token")
    named = (
        session.scalar(select(Invitation).where(Invitation.reply_token == token)) if token else None
    )
    if named is not None:
        if answerable(named, message.created_at):
            return Match(named.contractor, named)
        return Match(named.contractor, None, late_for=named)
    contractor = batch.contractor(session, message)
    if contractor is None:
        return Match(None, None)
    return Match(contractor, batch.open_invitation(contractor.id, message.created_at))


def match_sms(session: Session, message: Message, batch: Batch) -> Match:
    contractor = batch.contractor(session, message)
    if contractor is None:
        return Match(None, None)
    invitation = batch.open_invitation(contractor.id, message.created_at)
    if invitation is None:
        late = session.scalar(
            select(Invitation)
            .where(Invitation.contractor_id == contractor.id, Invitation.sent_at.is_not(None))
            .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
            .limit(1)
        )
        return Match(contractor, None, late_for=late)
    return Match(contractor, invitation)
