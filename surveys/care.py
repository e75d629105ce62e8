"""Care's alert rules: which trends in a contractor's replies (or at a client) make an alert.

Care gets one open alert per contractor and kind (per client, for a client hot-spot): a new
reason joins it, and every alert lists the replies that raised it. Kinds
(:class:`surveys.models.AlertKind`):

- ``quit_intent`` (urgent): the reply says they may leave.
- ``low_rating_streak`` (high): this rating and the contractor's rating before it are both
  low (2 or less of 5; 4 or less of 10).
- ``baseline_drop`` (high): this rating is at least 2 points of 5 (scaled: 4 of 10) below the
  mean of the contractor's previous ratings (the last 5), once there are at least 3 of them.
- ``early_tenure`` (high): a negative reply within 45 days of the assignment start.
- ``silence`` (normal): raised from the tick, not by a reply (:mod:`surveys.silence`).
- ``client_hotspot`` (high): three or more contractors at one client replied negatively within
  14 days. One alert per client, with no contractor; it lists those replies.

After staff resolve an alert, the same contractor (or client) gets no new alert of that kind
for :data:`ALERT_COOLDOWN`, so Care is not handed back what it just closed; urgent kinds
(quit intent) are never held back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import now
from outreach.models import Contractor
from surveys.analysis import Analysis
from surveys.models import OPEN_WORK, Alert, AlertKind, Response, Severity
from surveys.scoring import is_low

if TYPE_CHECKING:  # the memory is handed in by triage; only its type is named here
    from surveys.triage_memory import Memory

EARLY_TENURE_DAYS = 45
BASELINE_MIN_RATINGS = 3
BASELINE_RATINGS = 5
BASELINE_DROP_SHARE = 0.4  # 2 points on a 1-5 scale
HOTSPOT_CONTRACTORS = 3
HOTSPOT_WINDOW = timedelta(days=14)
ALERT_COOLDOWN = timedelta(days=14)
NO_COOLDOWN = frozenset({AlertKind.QUIT_INTENT})


AlertKey = tuple[int | None, str | None, str]


class StoredNegative(NamedTuple):
    """A stored negative reply, as the client hot-spot reads it: the columns, not the ORM
    object (a batch reads thousands of them)."""

    id: int
    contractor_id: int | None
    created_at: datetime
    negative: bool


Negative = Response | StoredNegative


def alert_key(contractor_id: int | None, client: str | None, kind: str) -> AlertKey:
    return (contractor_id, None if contractor_id is not None else client, kind)


def baseline_drop(share: float, previous: Sequence[float]) -> float | None:
    """How far ``share`` (a rating over its scale) fell below the mean of ``previous``
    shares, when that is a drop worth an alert; otherwise None."""
    if len(previous) < BASELINE_MIN_RATINGS:
        return None
    drop = sum(previous) / len(previous) - share
    # A hair of tolerance: 5, 5, 5 then 3 is exactly 0.4 in theory and 0.3999... in floats.
    return drop if drop >= BASELINE_DROP_SHARE - 1e-9 else None


def link_replies(items: list[Response], responses: Iterable[Response]) -> None:
    # By identity, in a set: `in` on the list compared each reply with every one listed.
    listed = {id(r) for r in items}
    for response in responses:
        if id(response) not in listed:
            listed.add(id(response))
            items.append(response)


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
    responses: Iterable[Negative] = (),
    evidence: dict[str, Any] | None = None,
    memory: Memory | None = None,
    current: bool = False,
) -> Alert | None:
    """Open an alert, or add ``reason`` and ``responses`` to the open one of this kind.

    ``current``: the reason is a running figure (a hot-spot's count), so it replaces the
    alert's reasons rather than joining them. Returns None when the kind is cooling down for
    this contractor (or client).
    """
    key = alert_key(contractor_id, client, kind)
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
    if memory is not None:
        memory.links.add(session, alert, responses)
        memory.alerts[key] = alert
    else:  # without a batch's memory, every reply is a Response
        link_replies(alert.responses, [r for r in responses if isinstance(r, Response)])
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
    negatives: list[Negative] = (
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
    if not any(r is response for r in negatives):  # a reply in pieces is triaged twice
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


def care_alerts(
    session: Session,
    response: Response,
    contractor: Contractor,
    analysis: Analysis,
    memory: Memory | None = None,
) -> list[Alert]:
    """Open or extend the alerts that one reply from a known contractor warrants."""
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
        if memory is not None:
            # A batch looks at its clients' hot-spots once it is read (raise_hotspots).
            memory.hotspots_due.append((response, contractor.client))
        else:
            raised.append(_client_hotspot(session, response, contractor.client, memory))
    return [a for a in dict.fromkeys(raised) if a is not None]


def raise_hotspots(session: Session, memory: Memory) -> list[Alert]:
    """The client hot-spots of a batch's negative replies, in reading order: once the batch
    is read and flushed, under the locks of those clients alone.

    Readers used to lock every client of their batch before reading it and hold the locks to
    the commit, so two readers whose batches shared a client (every batch, at a firm with few
    clients) took turns for the whole batch. The hot-spot is the one rule that counts other
    contractors' replies, so it alone waits for the locks, and looks again at what other
    readers committed once it has them."""
    due, memory.hotspots_due = memory.hotspots_due, []
    if not due:
        return []
    clients = {client for _, client in due}
    take_clients(session, clients)
    memory.load_clients(session, clients, leave_out=[response for response, _ in due])
    raised = []
    for response, client in due:
        raised.append(_client_hotspot(session, response, client, memory))
        memory.triaged_negative(response, client)
    return [a for a in dict.fromkeys(raised) if a is not None]


def take_clients(session: Session, clients: Iterable[str]) -> None:
    """On PostgreSQL, hold these clients until the transaction ends, so that readers racing
    over one client's replies take turns at its hot-spot (one open alert, not two, counted
    from every reader's replies; no deadlock over its alert rows): in one order, and before
    what the rule reads is loaded. SQLite has one writer at a time already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for client in sorted(clients):
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(client))))
