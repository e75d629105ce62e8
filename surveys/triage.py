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

from sqlalchemy import func, select
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
    session: Session, response: Response, category: str, priority: str | None, rule: str
) -> Ticket:
    """A second report of the same problem joins the open ticket instead of opening another."""
    ticket = None
    if response.contractor_id is not None:
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
) -> Alert | None:
    """Open an alert, or add ``reason`` and ``responses`` to the open one of this kind.

    Returns None when the kind is cooling down for this contractor (or client).
    """
    alert = session.scalar(
        select(Alert)
        .where(*_scope(contractor_id, client), Alert.kind == kind, Alert.status.in_(OPEN_WORK))
        .order_by(Alert.id)
        .limit(1)
    )
    if alert is None:
        if cooling_down(session, kind, contractor_id=contractor_id, client=client):
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
        reasons = list(alert.evidence.get("reasons", []))
        if reason not in reasons:
            reasons.append(reason)
        # A new dict: the JSON column only notices assignment, not mutation in place.
        alert.evidence = {**alert.evidence, **(evidence or {}), "reasons": reasons}
        alert.updated_at = now()
    _link(alert.responses, responses)
    return alert


def _previous_ratings(session: Session, response: Response, limit: int) -> list[Response]:
    """The contractor's rated replies before this one, newest first."""
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


def _rating_alerts(session: Session, response: Response, contractor: Contractor) -> list[Alert]:
    if response.rating is None:
        return []
    raised: list[Alert | None] = []
    previous = _previous_ratings(session, response, BASELINE_RATINGS)
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
            )
        )
    return [a for a in raised if a is not None]


def _client_hotspot(session: Session, response: Response, client: str) -> Alert | None:
    since = response.created_at - HOTSPOT_WINDOW
    negatives = list(
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
    )


def apply(session: Session, response: Response, analysis: Analysis) -> Triage:
    """Open or extend the tickets and alerts that one reply warrants."""
    result = Triage()
    if analysis.category != "none":
        rule = analysis.rule or f"reader {analysis.model}"
        result.tickets.append(
            open_ticket(session, response, analysis.category, analysis.priority, rule)
        )

    contractor = response.contractor
    if contractor is None:
        return result  # trends need a known contractor
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
            )
        )
    raised.extend(_rating_alerts(session, response, contractor))
    if analysis.negative:
        tenure = response.created_at.date() - contractor.start_date
        if tenure <= timedelta(days=EARLY_TENURE_DAYS):
            raised.append(
                raise_alert(
                    session,
                    AlertKind.EARLY_TENURE,
                    Severity.HIGH,
                    f"negative reply {tenure.days} days into the assignment",
                    contractor_id=contractor.id,
                    client=contractor.client,
                    responses=[response],
                )
            )
        raised.append(_client_hotspot(session, response, contractor.client))
    result.alerts.extend(a for a in raised if a is not None)
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
