"""Running survey flows (:mod:`outreach.flows`) with contractors, as their replies are read.

The reader makes one call here per reply (:func:`continue_or_answer`): first to learn whether
the reply continues an open conversation (then it joins that conversation's Response, as the
answer to the step that asked it), then, once the reply is read, to move the conversation on.
The next step's text is queued as an outbound message for the one delivery path, so consent,
the send window and pacing apply to it as to any send; a dispatcher is woken once the reader's
transaction commits (before that, it could not see the message).

Only the first step has a reminder (the invitation's own). A step that gets no answer closes
the conversation with what it has, on the tick (:func:`time_out`). A reply that does not fit
its step is kept as a comment and the step asked again, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from core.clock import now
from core.db import db
from outreach import flows, templates
from outreach.delivery import nudge_dispatch
from outreach.flows import Answer, Flow, TaskKind
from outreach.models import Channel, Direction, Invitation, Message, MessageStatus
from surveys.analysis import Analysis
from surveys.flow_answers import read_answer, referral, region_of
from surveys.flow_models import Conversation, ConversationStatus, Task, TaskTeam
from surveys.models import Response

log = logging.getLogger(__name__)

REASK_PREFIX = {"en": "Sorry, we did not catch that. ", "es": "Perdon, no entendimos. "}
TASK_TEAMS = {TaskKind.REFERRAL: TaskTeam.RECRUITING, TaskKind.REDEPLOYMENT: TaskTeam.CARE}


def flow_of(invitation: Invitation | None) -> Flow | None:
    """The invitation's survey flow, or None for a one-question survey (or a flow that no
    longer parses: that survey goes on as one question rather than break a conversation)."""
    if invitation is None or not invitation.survey.flow:
        return None
    try:
        return flows.parse(invitation.survey.flow)
    except flows.FlowError:
        log.exception("survey %s: its flow does not parse", invitation.survey_id)
        return None


def open_conversation(session: Session, contractor_id: int) -> Conversation | None:
    # No autoflush: the reader asks once per reply, and flushing a batch's pending replies
    # before each ask made it flush everything once per reply (half a batch's time). Nothing
    # unflushed can open or close a conversation: _start flushes the one it adds, and moves
    # and closes are compare-and-set UPDATEs that run at once.
    with session.no_autoflush:
        conversation = session.scalar(
            select(Conversation).where(Conversation.open_for == contractor_id)
        )
    return conversation if conversation is not None and conversation.open_for else None


def continue_or_answer(
    session: Session,
    contractor_id: int | None,
    read: Callable[[Response | None], tuple[Response, Analysis, str]],
) -> Response:
    """Read one reply with ``read`` (the reader's own reading, given the Response it should
    join or None for a new one) and move the contractor's conversation on with it.
    ``contractor_id`` is whose open conversation the reply may continue; None when the reader
    knows it continues none."""
    conversation = open_conversation(session, contractor_id) if contractor_id else None
    if conversation is not None and _superseded(session, conversation):
        _close(session, conversation, ConversationStatus.SUPERSEDED)
        conversation = None
    joined = None
    if conversation is not None and conversation.response_id is not None:
        joined = session.get(Response, conversation.response_id)
    response, analysis, text = read(joined)
    if joined is None:
        conversation = _start(session, response)
    if conversation is not None:
        _answer(session, conversation, response, analysis, text)
    return response


def _superseded(session: Session, conversation: Conversation) -> bool:
    """A newer invitation went to the contractor after this conversation began: replies are
    theirs now."""
    newer = session.scalar(
        select(Invitation.id)
        .where(
            Invitation.contractor_id == conversation.contractor_id,
            Invitation.id != conversation.invitation_id,
            Invitation.sent_at > conversation.created_at,
        )
        .limit(1)
    )
    return newer is not None


def _start(session: Session, response: Response) -> Conversation | None:
    """A first answer to a flow survey's invitation begins its conversation (once)."""
    invitation = response.invitation
    flow = flow_of(invitation)
    if flow is None or invitation is None or response.contractor_id is None:
        return None
    known = session.scalar(
        select(Conversation.id).where(Conversation.invitation_id == invitation.id)
    )
    if known is not None:
        return None  # finished already: a late reply is an ordinary reply
    session.flush()  # the response's id, which the conversation keeps
    conversation = Conversation(
        invitation_id=invitation.id,
        contractor_id=response.contractor_id,
        response_id=response.id,
        open_for=response.contractor_id,
        status=ConversationStatus.OPEN,
        step=flow.first,
        reasked=False,
        asked=[flow.first],
        answers=[],
        asked_at=invitation.sent_at or now(),
        created_at=now(),
    )
    session.add(conversation)
    session.flush()
    return conversation


def _answer(
    session: Session,
    conversation: Conversation,
    response: Response,
    analysis: Analysis,
    text: str,
) -> None:
    flow = flow_of(conversation.invitation)
    if flow is None or conversation.step not in flow.steps:
        _close(session, conversation, ConversationStatus.CLOSED)
        return
    if analysis.opt_out:
        _close(session, conversation, ConversationStatus.STOPPED)
        return
    step = flow.step(conversation.step)
    answer = read_answer(step, text, analysis.category)
    _keep(conversation, response, step.key, answer)
    move = decide(flow, step.key, answer, reasked=conversation.reasked)
    language = conversation.contractor.language or "en"
    if move.kind == "reask":
        if _move(session, conversation, step=step.key, reasked=True, asked_at=now()):
            _queue(session, conversation, move.text(flow, language) or "", step.key)
        return
    if move.task is not None:
        _make_task(session, conversation, response, move.task, answer)
    if move.kind == "step":
        asked = [*conversation.asked, move.goto]
        if _move(session, conversation, step=move.goto, reasked=False, asked=asked, asked_at=now()):
            _queue(session, conversation, move.text(flow, language) or "", move.goto)
        return
    if _close(session, conversation, ConversationStatus.CLOSED, ending=move.goto):
        ending = move.text(flow, language)
        if ending:
            _queue(session, conversation, ending, move.goto)


@dataclass(frozen=True)
class Move:
    """What an answer does: ask the step again, go to a step, or end (with a closing text)."""

    kind: str  # "reask", "step" or "end"
    goto: str
    task: TaskKind | None = None

    def text(self, flow: Flow, language: str) -> str | None:
        """The text this move sends in ``language``, if any."""
        if self.kind == "reask":
            prefix = REASK_PREFIX.get(language, REASK_PREFIX["en"])
            return prefix + flow.step(self.goto).text_in(language)
        if self.kind == "step":
            return flow.step(self.goto).text_in(language)
        return flow.ending_text(self.goto, language)


def decide(flow: Flow, key: str, answer: Answer, *, reasked: bool) -> Move:
    """The move ``answer`` to step ``key`` makes. Pure: the conversation and the admin's dry
    run both ask here. An answer that does not fit is asked about once; the second time the
    branch taken when nothing matched is."""
    if not answer.fits and not reasked:
        return Move("reask", key)
    branch = flow.branch_for(key, answer) if answer.fits else _default(flow, key)
    goto = branch.goto if branch is not None else flows.END
    task = branch.task if branch is not None else None
    return Move("step" if goto in flow.steps else "end", goto, task)


def _default(flow: Flow, key: str) -> flows.Branch | None:
    """After an answer that did not fit twice: the branch taken when nothing else matched."""
    return next((b for b in flow.step(key).branches if not b.when), None)


def _keep(conversation: Conversation, response: Response, key: str, answer: Answer) -> None:
    """The answer on the conversation and, for staff, on the Response it belongs to; the
    score of a scored step is the response's rating whatever the joined text reads as."""
    entry = {"step": key, **answer.as_dict()}
    conversation.answers = [*conversation.answers, entry]
    flags = dict(response.flags or {})
    flags["flow"] = [*flags.get("flow", []), entry]
    response.flags = flags
    scored = [a["score"] for a in conversation.answers if a.get("score") is not None]
    if scored:
        response.rating = scored[0]


def _move(session: Session, conversation: Conversation, **values: object) -> bool:
    """Compare-and-set: only from the step it is still on, and only while open."""
    session.flush()
    moved = session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.status == ConversationStatus.OPEN,
            Conversation.step == conversation.step,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(conversation)
    return moved.rowcount == 1  # type: ignore[attr-defined]


def _close(
    session: Session,
    conversation: Conversation,
    status: ConversationStatus,
    ending: str | None = None,
) -> bool:
    return _move(
        session, conversation, status=status, open_for=None, ending=ending, closed_at=now()
    )


def _make_task(
    session: Session,
    conversation: Conversation,
    response: Response,
    kind: TaskKind,
    answer: Answer,
) -> None:
    details: dict[str, object] = {"text": answer.text}
    if kind == TaskKind.REFERRAL:
        found = referral(answer.text, region_of(conversation.contractor.phone))
        if found is None:
            return  # "no thanks" is an answer, not a referral
        details = dict(found.as_dict(answer.text))
    exists = session.scalar(
        select(Task.id).where(Task.conversation_id == conversation.id, Task.kind == kind)
    )
    if exists is not None:
        return
    session.add(
        Task(
            kind=kind,
            team=TASK_TEAMS[kind],
            contractor_id=conversation.contractor_id,
            conversation_id=conversation.id,
            response_id=response.id,
            details=details,
        )
    )


def _queue(session: Session, conversation: Conversation, template: str, step: str) -> None:
    """The next text, for the dispatcher: sent like any other (consent, window, pacing)."""
    invitation, contractor = conversation.invitation, conversation.contractor
    channel = invitation.channel
    to = contractor.phone if channel == Channel.SMS else contractor.email
    if not to:
        return
    values = templates.values_for(contractor.name, contractor.client, invitation.survey.scale_max)
    body = templates.render_sms(template, values, language=contractor.language or "en")
    subject = None
    if channel == Channel.EMAIL:
        subject = "Re: " + invitation.survey.email_subject.format(**values)
    session.add(
        Message(
            direction=Direction.OUTBOUND,
            channel=channel,
            contractor_id=contractor.id,
            from_address="",
            to_address=to,
            subject=subject,
            body=body,
            status=MessageStatus.SCHEDULED,
            payload={"conversation_id": conversation.id, "step": step},
        )
    )
    event.listen(session, "after_commit", _wake_dispatcher, once=True)


def _wake_dispatcher(_session: Session) -> None:
    try:
        nudge_dispatch()
    except Exception:  # the tick's nudge sends it within a minute anyway
        log.warning("conversation: could not wake a dispatcher", exc_info=True)


def time_out(session: Session) -> int:
    """Close conversations whose step waited longer than its flow allows. Returns how many."""
    closed = 0
    current = now()
    for conversation in session.scalars(
        select(Conversation).where(Conversation.status == ConversationStatus.OPEN)
    ):
        flow = flow_of(conversation.invitation)
        hours = flow.timeout_hours if flow is not None else flows.DEFAULT_TIMEOUT_HOURS
        if conversation.asked_at <= current - timedelta(hours=hours):
            closed += _close(session, conversation, ConversationStatus.TIMED_OUT)
    return closed


def time_out_step() -> dict[str, int]:
    """The tick's step (see surveys.init_app)."""
    with db.session() as session:
        closed = time_out(session)
        session.commit()
    return {"conversations_timed_out": closed}
