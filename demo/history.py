"""Weeks of made-up history for the demo, so every staff page has something on first start.

Everything goes through the real code: replies are read by ``surveys.analysis.analyze``,
tickets and alerts come from ``surveys.triage.apply``, and staff work them with the same
``staff.tickets`` / ``staff.alerts`` functions the pages call, so the audit log, notes and
timestamps are what the service itself would have written. The clock is moved to each
moment as it is replayed (``core.clock`` is the one time seam), then put back.

The history contractors start on days chosen so that none is due a survey today or
yesterday: the live demo's first texts are the demo roster's, as before.
"""

from __future__ import annotations

import heapq
import itertools
import random
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from demo.conversation import settle_history_messages
from demo.history_cast import (
    BOOKS,
    FIRST,
    LAST,
    LATEST,
    MOOD_WEIGHTS,
    RESOLUTIONS,
    ZONES,
    pick_reply,
)
from outreach.delivery import render
from outreach.models import (
    Channel,
    Contractor,
    Direction,
    Invitation,
    InvitationStatus,
    Message,
    Survey,
)
from outreach.schedule import is_due, local_today, zone
from staff import alerts, tickets
from staff.errors import WorkError
from surveys import triage
from surveys.analysis import analyze
from surveys.models import Alert, Response, Ticket
from surveys.replies import is_flagged

PREFIX = "HIST-"
SMS_FROM = "+15005550006"
EMAIL_FROM = "pulse@example.com"
WEEKS = 8
SEED = 20260302


@dataclass
class Counts:
    contractors: int = 0
    replies: int = 0
    tickets: int = 0
    alerts: int = 0


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """Replay one moment: ``now()`` says ``moment`` until the block ends."""
    previous = clock.source
    clock.source = lambda: moment
    try:
        yield
    finally:
        clock.source = previous


def _start_offset(survey: Survey, rng: random.Random, timezone: str) -> int:
    """Days on assignment, avoiding a survey due today or yesterday (the live demo's turn)."""
    today = local_today(timezone)
    offset = rng.randint(18, 110)
    while any(
        is_due(survey, today - timedelta(days=offset), None, today - timedelta(days=back))
        for back in (0, 1)
    ):
        offset += 1
    return offset


def seed_history(
    session: Session, survey: Survey, support_id: int, care_id: int, weeks: int = WEEKS
) -> Counts:
    """Add the history once; a database that has it already is left alone."""
    if session.scalar(select(Contractor.id).where(Contractor.external_id.startswith(PREFIX))):
        return Counts()
    replay = _Replay(session, survey, support_id, care_id)
    replay.plan(weeks)
    replay.run()
    # Care's texts and emails in the past were sent then, not when the demo starts.
    settle_history_messages(session, replay.real_now - timedelta(minutes=5))
    return replay.counts


class _Replay:
    """Plans the history as timed steps, then replays them in time order."""

    def __init__(self, session: Session, survey: Survey, support_id: int, care_id: int) -> None:
        self.session = session
        self.survey = survey
        self.support_id = support_id
        self.care_id = care_id
        self.rng = random.Random(SEED)
        self.real_now = clock.now()
        self.counts = Counts()
        self._serial = itertools.count(1)
        # (when, tie-breaker, step): a heap, so steps planned while replaying slot in.
        self._steps: list[tuple[datetime, int, Callable[[], None]]] = []

    def later(self, at: datetime, step: Callable[[], object]) -> None:
        """Plan ``step`` for ``at``; whatever falls in the future has not happened yet."""
        if at < self.real_now - timedelta(minutes=5):
            heapq.heappush(self._steps, (at, next(self._serial), _quietly(step)))

    def run(self) -> None:
        while self._steps:
            at, _, step = heapq.heappop(self._steps)
            with _at(at):
                step()
                self.session.flush()

    def plan(self, weeks: int) -> None:
        rng = self.rng
        names = iter(rng.sample([f"{f} {last}" for f in FIRST for last in LAST], 80))
        made = []
        for client, manager, how_many in BOOKS:
            for _ in range(how_many):
                contractor = self._contractor(next(names), client, manager, weeks)
                made.append(contractor)
                mood = rng.choices(list(MOOD_WEIGHTS), weights=list(MOOD_WEIGHTS.values()))[0]
                keen = rng.uniform(0.6, 0.95)
                today = local_today(contractor.timezone)
                due = [
                    day
                    for day in (
                        contractor.start_date + timedelta(days=d)
                        for d in range((today - contractor.start_date).days - 1)
                    )
                    if is_due(self.survey, contractor.start_date, contractor.end_date, day)
                ]
                for number, day in enumerate(due):
                    sent_at = datetime.combine(
                        day, time(10, rng.randint(0, 50)), zone(contractor.timezone)
                    ).astimezone(UTC)
                    text = pick_reply(rng, mood, number / max(len(due) - 1, 1))
                    answer = rng.random() < keen
                    delay = timedelta(minutes=rng.randint(4, 240))
                    self.later(sent_at, partial(self.send, contractor, day, text, answer, delay))
        # Contractors also text out of the blue. These came in since yesterday, so most are
        # still waiting in the queues on first start.
        for contractor, (hours, text) in zip(rng.sample(made, len(LATEST)), LATEST, strict=True):
            at = self.real_now - timedelta(hours=hours)
            self.later(at, partial(self.reply, contractor, None, text))

    def _contractor(self, name: str, client: str, manager: str, weeks: int) -> Contractor:
        n = next(self._serial)
        timezone = self.rng.choice(ZONES)
        offset = _start_offset(self.survey, self.rng, timezone)
        start = local_today(timezone) - timedelta(days=offset)
        contractor = Contractor(
            external_id=f"{PREFIX}{n:03d}",
            name=name,
            phone=f"+1202555{n:04d}",
            email=f"{name.lower().replace(' ', '.')}@example.com",
            timezone=timezone,
            channel=Channel.EMAIL if self.rng.random() < 0.2 else Channel.SMS,
            start_date=start,
            end_date=start + timedelta(days=180),
            client=client,
            account_manager=manager,
        )
        with _at(self.real_now - timedelta(weeks=weeks)):
            self.session.add(contractor)
            self.session.flush()
        self.counts.contractors += 1
        return contractor

    def send(
        self, contractor: Contractor, day: date, text: str, answer: bool, delay: timedelta
    ) -> None:
        """The survey going out on its day, and (maybe) the reply coming back."""
        now = clock.now()
        survey, sms = self.survey, contractor.channel == Channel.SMS
        invitation = Invitation(
            survey_id=survey.id,
            contractor_id=contractor.id,
            due_on=day,
            status=InvitationStatus.DELIVERED,
            channel=contractor.channel,
            reply_token=secrets.token_hex(8),
            sent_at=now,
            status_changed_at=now,
            expires_at=now + timedelta(days=2),
        )
        self.session.add(invitation)
        self.session.flush()
        self.session.add(
            Message(
                direction=Direction.OUTBOUND,
                channel=contractor.channel,
                provider_id=f"demo-out-{invitation.id}",
                contractor_id=contractor.id,
                invitation_id=invitation.id,
                from_address=SMS_FROM if sms else EMAIL_FROM,
                to_address=(contractor.phone if sms else contractor.email) or "",
                subject=None if sms else render(survey.email_subject, contractor, survey),
                body=render(
                    survey.sms_template if sms else survey.email_template, contractor, survey
                ),
                status="delivered",
                payload={},
                created_at=now,
            )
        )
        if answer:
            self.later(now + delay, lambda: self.reply(contractor, invitation, text))
        else:
            # Its one reminder went long ago; the live demo must not send it now.
            invitation.reminder_count = 1

    def reply(self, contractor: Contractor, invitation: Invitation | None, text: str) -> None:
        """A reply read as the worker reads one, then triaged into tickets and alerts."""
        now = clock.now()
        channel = invitation.channel if invitation else contractor.channel
        sms = channel == Channel.SMS
        analysis = analyze(text, 5)
        response = Response(
            contractor_id=contractor.id,
            invitation_id=invitation.id if invitation else None,
            channel=channel,
            text=text,
            scale_max=5,
            rating=analysis.rating,
            polarity=analysis.polarity,
            subjectivity=analysis.subjectivity,
            vader_compound=analysis.vader_compound,
            negative=analysis.negative,
            category=analysis.category,
            quit_intent=analysis.quit_intent,
            flags={
                "rule": analysis.rule,
                "cues": list(analysis.cues),
                "unsolicited": invitation is None,
                "unknown_sender": False,
                "from": None,
            },
            flagged=is_flagged(analysis),
            created_at=now,
        )
        self.session.add(response)
        self.session.flush()
        self.session.add(
            Message(
                direction=Direction.INBOUND,
                channel=channel,
                provider_id=f"demo-in-{response.id}",
                contractor_id=contractor.id,
                invitation_id=response.invitation_id,
                response_id=response.id,
                from_address=(contractor.phone if sms else contractor.email) or "",
                to_address=SMS_FROM if sms else EMAIL_FROM,
                body=text,
                status="received",
                payload={},
                created_at=now,
                processed_at=now,
            )
        )
        if invitation is not None:
            invitation.status = InvitationStatus.ANSWERED
            invitation.answered_at = now
        self.counts.replies += 1
        made = triage.apply(self.session, response, analysis)
        self.session.flush()
        # Made by this reply (stamped now), not an open one the reply was added to.
        for ticket in made.tickets:
            if ticket.created_at == now:
                self.counts.tickets += 1
                self.work_ticket(ticket)
        for alert in made.alerts:
            if alert.created_at == now:
                self.counts.alerts += 1
                self.work_alert(alert)

    def work_ticket(self, ticket: Ticket) -> None:
        """Support picks most up within hours and settles them within days; some wait."""
        rng, session, by = self.rng, self.session, self.support_id
        opened, ticket_id = clock.now(), ticket.id
        waiting = self.real_now - opened < timedelta(hours=36) and rng.random() < 0.7
        if waiting and ticket.priority != "urgent":
            return  # nobody has got to it yet; urgent ones never wait
        claim_at = opened + timedelta(hours=rng.uniform(0.5, 6))
        self.later(claim_at, lambda: tickets.claim(session, ticket_id, by=by))
        if rng.random() < 0.5:
            note = "Asked the account manager to check with the client."
            self.later(
                claim_at + timedelta(hours=2),
                lambda: tickets.add_note(session, ticket_id, note, by=by),
            )
        recent = self.real_now - opened < timedelta(days=10)
        to_care = ticket.category == "safety_harassment" or (
            ticket.category == "client_conflict" and rng.random() < 0.35
        )
        if to_care:
            reason = "They sound shaken and may leave; Care to call and check in."
            handed = claim_at + timedelta(hours=5)
            self.later(handed, lambda: tickets.hand_off(session, ticket_id, "care", reason, by=by))
            # Care takes it from there: a call, then settled a few days later.
            care = self.care_id
            self.later(
                handed + timedelta(hours=20), lambda: tickets.claim(session, ticket_id, by=care)
            )
            note = "Called them: the client has moved them to another shift. Feeling better."
            self.later(
                handed + timedelta(days=1),
                lambda: tickets.add_note(session, ticket_id, note, by=care),
            )
            if recent:
                return
            outcome = "Care followed up twice; contractor is settled in the new team."
            self.later(
                handed + timedelta(days=rng.uniform(3, 6)),
                lambda: tickets.resolve(session, ticket_id, outcome, by=care),
            )
            return
        if recent and rng.random() < 0.3:
            return  # still being worked
        resolution = RESOLUTIONS.get(ticket.category, "Sorted with the contractor.")
        self.later(
            opened + timedelta(days=rng.uniform(1, 6)),
            lambda: tickets.resolve(session, ticket_id, resolution, by=by),
        )

    def work_alert(self, alert: Alert) -> None:
        """Care acknowledges, calls or texts, and closes most within a week."""
        rng, session, by = self.rng, self.session, self.care_id
        raised, alert_id = clock.now(), alert.id
        if self.real_now - raised < timedelta(hours=36) and rng.random() < 0.7:
            return  # nobody has got to it yet
        ack = raised + timedelta(hours=rng.uniform(0.5, 8))
        self.later(ack, lambda: alerts.acknowledge(session, alert_id, by=by))
        method = rng.choice(["call", "call", "text", "email"])
        note = "Reached them; they wanted someone to listen. Following up next week."
        self.later(
            ack + timedelta(hours=2),
            lambda: alerts.log_outreach(session, alert_id, method, note, by=by),
        )
        if alert.kind == "quit_intent" and rng.random() < 0.5:
            reason = "Asked their account manager to look for another placement."
            self.later(
                ack + timedelta(days=1), lambda: alerts.escalate(session, alert_id, reason, by=by)
            )
            return
        if self.real_now - raised < timedelta(days=10) and rng.random() < 0.3:
            return  # still being followed up
        outcome = "Checked in again: things are better and they are staying."
        self.later(
            raised + timedelta(days=rng.uniform(2, 6)),
            lambda: alerts.resolve(session, alert_id, outcome, by=by),
        )


def _quietly(step: Callable[[], object]) -> Callable[[], None]:
    """A step that no longer applies (someone resolved it first) is simply skipped."""

    def run() -> None:
        with suppress(WorkError):
            step()

    return run
