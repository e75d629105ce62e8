"""From analysed replies to Support tickets (concrete problems) and Care alerts (trends).

What a reply says is read by surveys.analysis (the learned reader and must-catch rules);
this module decides what work that makes for each team. Support gets one open ticket per
contractor and problem: a second report of the same problem joins it. Care gets one open
alert per contractor and kind (per client, for a client hot-spot): a new reason joins it, and
every alert lists the replies that raised it.

Care alert kinds:

- ``quit_intent`` (urgent): the reply says they may leave.
- ``low_rating_streak`` (high): this rating and the contractor's rating before it are both
  low (2 or less of 5; 4 or less of 10).
- ``baseline_drop`` (high): this rating is at least 2 points of 5 (scaled: 4 of 10) below the
  mean of the contractor's previous ratings (the last 5), once there are at least 3 of them.
- ``early_tenure`` (high): a negative reply within 45 days of the assignment start.
- ``silence`` (normal): the contractor's two latest invitations whose answer window has
  closed both went unanswered, and nothing else was heard from them since. Not raised by a
  reply: :func:`raise_silence_alerts` looks, from the tick.
- ``client_hotspot`` (high): three or more contractors at one client replied negatively within
  14 days. One alert per client, with no contractor; it lists those replies.

After staff resolve an alert, the same contractor (or client) gets no new alert of that kind
for :data:`ALERT_COOLDOWN`, so Care is not handed back what it just closed; urgent kinds
(quit intent) are never held back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.clock import now
from outreach.models import Contractor, Invitation, InvitationStatus
from surveys.analysis import Analysis
from surveys.categories import Priority
from surveys.models import OPEN_WORK, Alert, Response, Severity, Team, Ticket
from surveys.scoring import is_low


class AlertKind(StrEnum):
    QUIT_INTENT = "quit_intent"
    LOW_RATING_STREAK = "low_rating_streak"
    BASELINE_DROP = "baseline_drop"
    EARLY_TENURE = "early_tenure"
    SILENCE = "silence"
    CLIENT_HOTSPOT = "client_hotspot"


EARLY_TENURE_DAYS = 45
BASELINE_MIN_RATINGS = 3
BASELINE_RATINGS = 5
BASELINE_DROP_SHARE = 0.4  # 2 points on a 1-5 scale
HOTSPOT_CONTRACTORS = 3
HOTSPOT_WINDOW = timedelta(days=14)
# How long after it went out an invitation still takes its answer.
ANSWER_WINDOW = timedelta(days=7)
SILENT_INVITATIONS = 2
ALERT_COOLDOWN = timedelta(days=14)
NO_COOLDOWN = frozenset({AlertKind.QUIT_INTENT})


_AlertKey = tuple[int | None, str | None, str]


def _in_order(responses: list[Response]) -> list[Response]:
    """Oldest first, as by (created_at, id); replies of this batch not yet flushed have no id
    but will get ids in the order they were made, after every stored one."""
    return sorted(responses, key=lambda r: (r.created_at, r.id is None, r.id or 0))


def _alert_key(contractor_id: int | None, client: str | None, kind: str) -> _AlertKey:
    return (contractor_id, None if contractor_id is not None else client, kind)


@dataclass
class Memory:
    """What triage looks up across replies, loaded once for a batch of replies and kept up to
    date as each is triaged, so that a reply costs no queries of its own. Each look-up that
    the memory cannot answer exactly falls back to the query that would have run."""

    # contractor id -> rated replies, newest first: the newest that were stored, then the
    # batch's own
    ratings: dict[int, list[Response]] = field(default_factory=dict)
    # contractor id -> their newest stored rated replies (BASELINE_RATINGS + 1 at most)
    rated_loaded: dict[int, list[Response]] = field(default_factory=dict)
    # client -> negative replies since the hot-spot window of the batch's earliest reply
    negatives: dict[str, list[Response]] = field(default_factory=dict)
    since: datetime | None = None
    # (contractor id, client, kind) -> the open alert of that kind, None when there is none;
    # for the contractors (client alerts: the clients) in ``scopes``, a missing key is None
    alerts: dict[_AlertKey, Alert | None] = field(default_factory=dict)
    scopes: set[tuple[int | None, str | None]] = field(default_factory=set)
    # alerts that staff resolved within ALERT_COOLDOWN, for the same scopes
    cooling: set[_AlertKey] = field(default_factory=set)
    # (contractor id, category) -> the open ticket, None when there is none; for the
    # contractors in ``ticketed``, a missing key is None
    tickets: dict[tuple[int, str], Ticket | None] = field(default_factory=dict)
    ticketed: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session, contractor_ids: Iterable[int], earliest: datetime) -> Memory:
        memory = cls(since=earliest - HOTSPOT_WINDOW)
        ids = set(contractor_ids)
        if not ids:
            return memory
        newest = (
            select(
                Response.id,
                func.row_number()
                .over(
                    partition_by=Response.contractor_id,
                    order_by=(Response.created_at.desc(), Response.id.desc()),
                )
                .label("n"),
            )
            .where(Response.contractor_id.in_(ids), Response.rating.is_not(None))
            .subquery()
        )
        for response in session.scalars(
            select(Response)
            .join(newest, newest.c.id == Response.id)
            .where(newest.c.n <= BASELINE_RATINGS + 1)
            .order_by(Response.created_at.desc(), Response.id.desc())
        ):
            memory.rated_loaded.setdefault(response.contractor_id or 0, []).append(response)
        for contractor_id in ids:
            loaded = memory.rated_loaded.setdefault(contractor_id, [])
            memory.ratings[contractor_id] = list(loaded)
        clients = select(Contractor.client).where(Contractor.id.in_(ids)).distinct()
        for client, response in session.execute(
            select(Contractor.client, Response)
            .join(Contractor, Contractor.id == Response.contractor_id)
            .where(
                Contractor.client.in_(clients.scalar_subquery()),
                Response.negative.is_(True),
                Response.created_at >= memory.since,
            )
        ):
            memory.negatives.setdefault(client, []).append(response)
        for client in session.scalars(clients):
            memory.negatives.setdefault(client, [])
        memory._load_work(session, ids, set(memory.negatives))
        return memory

    def _load_work(self, session: Session, ids: set[int], clients: set[str]) -> None:
        """The open tickets and alerts, and the alerts cooling down, of these contractors
        and clients."""
        for ticket in session.scalars(
            select(Ticket)
            .where(Ticket.contractor_id.in_(ids), Ticket.status.in_(OPEN_WORK))
            .order_by(Ticket.id.desc())  # the oldest last: it is the one a report joins
        ):
            self.tickets[(ticket.contractor_id or 0, ticket.category)] = ticket
        self.ticketed |= ids
        scope = or_(
            Alert.contractor_id.in_(ids),
            Alert.contractor_id.is_(None) & Alert.client.in_(clients),
        )
        closed_at = func.coalesce(Alert.resolved_at, Alert.updated_at)
        for alert in session.scalars(
            select(Alert)
            .where(scope, Alert.status.in_(OPEN_WORK) | (closed_at >= now() - ALERT_COOLDOWN))
            .order_by(Alert.id.desc())
        ):
            key = _alert_key(alert.contractor_id, alert.client, alert.kind)
            if alert.status in OPEN_WORK:
                self.alerts[key] = alert
            elif alert.kind not in NO_COOLDOWN:
                self.cooling.add(key)
        self.scopes |= {(i, None) for i in ids} | {(None, c) for c in clients}

    def open_alert(self, key: _AlertKey) -> tuple[bool, Alert | None]:
        """(whether the memory knows, the open alert for ``key`` if any)."""
        if key in self.alerts:
            return True, self.alerts[key]
        return key[:2] in self.scopes, None

    def open_ticket(self, key: tuple[int, str]) -> tuple[bool, Ticket | None]:
        if key in self.tickets:
            return True, self.tickets[key]
        return key[0] in self.ticketed, None

    def previous_ratings(self, response: Response) -> list[Response] | None:
        """The contractor's rated replies before this one, newest first (BASELINE_RATINGS of
        them at most); None when the memory cannot tell."""
        contractor_id = response.contractor_id
        if contractor_id is None or contractor_id not in self.ratings:
            return None
        loaded = self.rated_loaded[contractor_id]
        # Stored replies not loaded are older than every loaded one: exact while each loaded
        # reply (but this one) came before this one and is still rated.
        if any(
            r is not response and (r.created_at > response.created_at or r.rating is None)
            for r in loaded
        ):
            return None
        before = [
            r
            for r in self.ratings[contractor_id]
            if r is not response and r.rating is not None and r.created_at <= response.created_at
        ]
        return _in_order(before)[::-1][:BASELINE_RATINGS]

    def client_negatives(self, client: str, response: Response) -> list[Response] | None:
        """Negative replies at ``client`` in the hot-spot window up to this one, oldest first;
        None when the memory cannot tell."""
        known = self.negatives.get(client)
        since = response.created_at - HOTSPOT_WINDOW
        if known is None or self.since is None or since < self.since:
            return None
        return _in_order(
            [r for r in known if r.negative and since <= r.created_at <= response.created_at]
        )

    def triaged(self, response: Response, client: str) -> None:
        """Keep the memory up to date with a reply just triaged."""
        contractor_id = response.contractor_id
        if contractor_id is None:
            return
        rated = self.ratings.get(contractor_id)
        if rated is not None and response.rating is not None and response not in rated:
            rated.append(response)
        negatives = self.negatives.get(client)
        if negatives is not None and response.negative and response not in negatives:
            negatives.append(response)


@dataclass
class Triage:
    tickets: list[Ticket] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def baseline_drop(share: float, previous: Sequence[float]) -> float | None:
    """How far ``share`` (a rating over its scale) fell below the mean of ``previous``
    shares, when that is a drop worth an alert; otherwise None."""
    if len(previous) < BASELINE_MIN_RATINGS:
        return None
    drop = sum(previous) / len(previous) - share
    # A hair of tolerance: 5, 5, 5 then 3 is exactly 0.4 in theory and 0.3999... in floats.
    return drop if drop >= BASELINE_DROP_SHARE - 1e-9 else None


def _link(items: list[Response], responses: Iterable[Response]) -> None:
    for response in responses:
        if response not in items:
            items.append(response)


# -- Support ----------------------------------------------------------------------------------


def open_ticket(
    session: Session,
    response: Response,
    category: str,
    priority: str | None,
    rule: str,
    memory: Memory | None = None,
) -> Ticket:
    """A second report of the same problem joins the open ticket instead of opening another."""
    ticket = None
    key = (response.contractor_id or 0, category)
    known, ticket = memory.open_ticket(key) if memory is not None else (False, None)
    if response.contractor_id is not None and not known:
        ticket = session.scalar(
            select(Ticket)
            .where(
                Ticket.contractor_id == response.contractor_id,
                Ticket.category == category,
                Ticket.status.in_(OPEN_WORK),
            )
            .order_by(Ticket.id)
            .limit(1)
        )
    if ticket is None:
        ticket = Ticket(
            contractor_id=response.contractor_id,
            category=category,
            priority=priority or Priority.NORMAL,
            team=Team.SUPPORT,
            rule=rule[:80],
            summary=response.text[:280],
        )
        session.add(ticket)
    elif response not in ticket.responses:
        ticket.updated_at = now()  # a new report is news to whoever works the ticket
    _link(ticket.responses, [response])
    if memory is not None and response.contractor_id is not None:
        memory.tickets[key] = ticket
    return ticket


# -- Care -------------------------------------------------------------------------------------


def _scope(contractor_id: int | None, client: str | None) -> list[Any]:
    if contractor_id is not None:
        return [Alert.contractor_id == contractor_id]
    return [Alert.contractor_id.is_(None), Alert.client == client]


def cooling_down(
    session: Session, kind: str, *, contractor_id: int | None, client: str | None
) -> bool:
    """Whether staff resolved an alert of this kind for this contractor (or client) lately."""
    if kind in NO_COOLDOWN:
        return False
    closed_at = func.coalesce(Alert.resolved_at, Alert.updated_at)
    return (
        session.scalar(
            select(Alert.id)
            .where(
                *_scope(contractor_id, client),
                Alert.kind == kind,
                Alert.status.not_in(OPEN_WORK),
                closed_at >= now() - ALERT_COOLDOWN,
            )
            .limit(1)
        )
        is not None
    )


def raise_alert(
    session: Session,
    kind: str,
    severity: Severity,
    reason: str,
    *,
    contractor_id: int | None,
    client: str | None,
    responses: Iterable[Response] = (),
    evidence: dict[str, Any] | None = None,
    memory: Memory | None = None,
    current: bool = False,
) -> Alert | None:
    """Open an alert, or add ``reason`` and ``responses`` to the open one of this kind.

    ``current``: the reason is a running figure (a hot-spot's count), so it replaces the
    alert's reasons rather than joining them. Returns None when the kind is cooling down for
    this contractor (or client).
    """
    key = _alert_key(contractor_id, client, kind)
    known, alert = memory.open_alert(key) if memory is not None else (False, None)
    if not known:
        alert = session.scalar(
            select(Alert)
            .where(*_scope(contractor_id, client), Alert.kind == kind, Alert.status.in_(OPEN_WORK))
            .order_by(Alert.id)
            .limit(1)
        )
    if alert is None:
        if known and memory is not None:
            cooling = key in memory.cooling
        else:
            cooling = cooling_down(session, kind, contractor_id=contractor_id, client=client)
        if cooling:
            return None
        alert = Alert(
            contractor_id=contractor_id,
            client=client,
            kind=kind,
            severity=severity,
            evidence={**(evidence or {}), "reasons": [reason]},
        )
        session.add(alert)
    else:
        reasons = [] if current else list(alert.evidence.get("reasons", []))
        if reason not in reasons:
            reasons.append(reason)
        # A new dict: the JSON column only notices assignment, not mutation in place.
        alert.evidence = {**alert.evidence, **(evidence or {}), "reasons": reasons}
        alert.updated_at = now()
    _link(alert.responses, responses)
    if memory is not None:
        memory.alerts[key] = alert
    return alert


def _previous_ratings(
    session: Session, response: Response, limit: int, memory: Memory | None = None
) -> list[Response]:
    """The contractor's rated replies before this one, newest first."""
    remembered = memory.previous_ratings(response) if memory is not None else None
    if remembered is not None:
        return remembered[:limit]
    return list(
        session.scalars(
            select(Response)
            .where(
                Response.contractor_id == response.contractor_id,
                Response.id != response.id,
                Response.rating.is_not(None),
                Response.created_at <= response.created_at,
            )
            .order_by(Response.created_at.desc(), Response.id.desc())
            .limit(limit)
        )
    )


def _share(response: Response) -> float:
    assert response.rating is not None
    return response.rating / response.scale_max


def _rating_alerts(
    session: Session, response: Response, contractor: Contractor, memory: Memory | None
) -> list[Alert]:
    if response.rating is None:
        return []
    raised: list[Alert | None] = []
    previous = _previous_ratings(session, response, BASELINE_RATINGS, memory)
    if is_low(response.rating, response.scale_max) and previous:
        last = previous[0]
        if is_low(last.rating, last.scale_max):
            raised.append(
                raise_alert(
                    session,
                    AlertKind.LOW_RATING_STREAK,
                    Severity.HIGH,
                    "two low ratings in a row",
                    contractor_id=contractor.id,
                    client=contractor.client,
                    responses=[last, response],
                    memory=memory,
                )
            )
    drop = baseline_drop(_share(response), [_share(r) for r in previous])
    if drop is not None:
        usual = sum(_share(r) for r in previous) / len(previous) * response.scale_max
        raised.append(
            raise_alert(
                session,
                AlertKind.BASELINE_DROP,
                Severity.HIGH,
                f"rated {response.rating}/{response.scale_max}, against their usual "
                f"{usual:.1f} over the last {len(previous)} ratings",
                contractor_id=contractor.id,
                client=contractor.client,
                responses=[response],
                memory=memory,
            )
        )
    return [a for a in raised if a is not None]


def _client_hotspot(
    session: Session, response: Response, client: str, memory: Memory | None
) -> Alert | None:
    since = response.created_at - HOTSPOT_WINDOW
    remembered = memory.client_negatives(client, response) if memory is not None else None
    negatives = (
        remembered
        if remembered is not None
        else list(
            session.scalars(
                select(Response)
                .join(Contractor, Contractor.id == Response.contractor_id)
                .where(
                    Contractor.client == client,
                    Response.negative.is_(True),
                    Response.created_at >= since,
                    Response.created_at <= response.created_at,
                )
                .order_by(Response.created_at, Response.id)
            )
        )
    )
    if response not in negatives:
        negatives.append(response)
    contractors = {r.contractor_id for r in negatives}
    if len(contractors) < HOTSPOT_CONTRACTORS:
        return None
    return raise_alert(
        session,
        AlertKind.CLIENT_HOTSPOT,
        Severity.HIGH,
        f"{len(contractors)} contractors at {client} replied negatively within "
        f"{HOTSPOT_WINDOW.days} days",
        contractor_id=None,
        client=client,
        responses=negatives,
        evidence={"client": client, "contractors": len(contractors)},
        memory=memory,
        current=True,
    )


def apply(
    session: Session, response: Response, analysis: Analysis, memory: Memory | None = None
) -> Triage:
    """Open or extend the tickets and alerts that one reply warrants.

    ``memory``, when one batch of replies is triaged in a row, spares each reply the look-ups
    across many replies (see :class:`Memory`); the outcome is the same without it.
    """
    result = Triage()
    if analysis.category != "none":
        rule = analysis.rule or f"reader {analysis.model}"
        result.tickets.append(
            open_ticket(session, response, analysis.category, analysis.priority, rule, memory)
        )

    contractor = response.contractor
    if contractor is None:
        return result  # trends need a known contractor
    if memory is None:
        session.flush()  # the queries below must see this reply
    raised: list[Alert | None] = []
    if analysis.quit_intent:
        raised.append(
            raise_alert(
                session,
                AlertKind.QUIT_INTENT,
                Severity.URGENT,
                "said they may leave",
                contractor_id=contractor.id,
                client=contractor.client,
                responses=[response],
                memory=memory,
            )
        )
    raised.extend(_rating_alerts(session, response, contractor, memory))
    if analysis.negative:
        tenure = response.created_at.date() - contractor.start_date
        if tenure <= timedelta(days=EARLY_TENURE_DAYS):
            # A reply that says they may leave already says they are at risk: the early-tenure
            # reason joins the quit alert's evidence instead of raising a second alert.
            quit_too = bool(analysis.quit_intent and raised and raised[0] is not None)
            early = raise_alert(
                session,
                AlertKind.QUIT_INTENT if quit_too else AlertKind.EARLY_TENURE,
                Severity.URGENT if quit_too else Severity.HIGH,
                f"negative reply {tenure.days} days into the assignment",
                contractor_id=contractor.id,
                client=contractor.client,
                responses=[response],
                evidence={"tenure_days": tenure.days},
                memory=memory,
            )
            if not quit_too:
                raised.append(early)
        raised.append(_client_hotspot(session, response, contractor.client, memory))
    result.alerts.extend(a for a in dict.fromkeys(raised) if a is not None)
    if memory is not None:
        memory.triaged(response, contractor.client)
    return result


# -- silence ----------------------------------------------------------------------------------


def _silent_contractors(session: Session, at: datetime) -> dict[int, list[Invitation]]:
    """Contractors whose latest closed invitations all went unanswered, with those invitations."""
    closed = (
        select(
            Invitation.id,
            Invitation.contractor_id,
            func.row_number()
            .over(
                partition_by=Invitation.contractor_id,
                order_by=(Invitation.sent_at.desc(), Invitation.id.desc()),
            )
            .label("n"),
        )
        .join(Contractor, Contractor.id == Invitation.contractor_id)
        .where(
            Contractor.status == "active",
            Invitation.sent_at.is_not(None),
            Invitation.sent_at <= at - ANSWER_WINDOW,
            # A failed send never reached them: that is not their silence.
            Invitation.status != InvitationStatus.FAILED,
        )
        .subquery()
    )
    latest = session.scalars(
        select(Invitation)
        .join(closed, closed.c.id == Invitation.id)
        .where(closed.c.n <= SILENT_INVITATIONS)
        .order_by(Invitation.contractor_id, Invitation.sent_at.desc())
    )
    runs: dict[int, list[Invitation]] = {}
    for invitation in latest:
        runs.setdefault(invitation.contractor_id, []).append(invitation)
    return {
        contractor_id: invitations
        for contractor_id, invitations in runs.items()
        if len(invitations) == SILENT_INVITATIONS
        and all(
            i.answered_at is None and i.status != InvitationStatus.ANSWERED for i in invitations
        )
    }


def raise_silence_alerts(session: Session) -> int:
    """Raise a silence alert for each contractor who stopped answering. Returns how many
    alerts were opened; safe to run every tick (each run of silence is alerted once)."""
    current = now()
    opened = 0
    for contractor_id, invitations in _silent_contractors(session, current).items():
        earliest = min(i.sent_at for i in invitations if i.sent_at is not None)
        heard_since = session.scalar(
            select(Response.id)
            .where(Response.contractor_id == contractor_id, Response.created_at >= earliest)
            .limit(1)
        )
        if heard_since is not None:
            continue
        ids = sorted(i.id for i in invitations)
        already = session.scalars(
            select(Alert.evidence).where(
                Alert.contractor_id == contractor_id, Alert.kind == AlertKind.SILENCE
            )
        )
        if any(ids[-1] in (evidence or {}).get("invitations", []) for evidence in already):
            continue  # this run of silence has had its alert
        contractor = session.get_one(Contractor, contractor_id)
        existing = session.scalar(
            select(Alert.id).where(
                Alert.contractor_id == contractor_id,
                Alert.kind == AlertKind.SILENCE,
                Alert.status.in_(OPEN_WORK),
            )
        )
        alert = raise_alert(
            session,
            AlertKind.SILENCE,
            Severity.NORMAL,
            f"{SILENT_INVITATIONS} invitations in a row unanswered",
            contractor_id=contractor_id,
            client=contractor.client,
            evidence={"invitations": ids},
        )
        if alert is not None and existing is None:
            opened += 1
    return opened
