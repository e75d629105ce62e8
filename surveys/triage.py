"""From one analysed reply to Support tickets (concrete problems) and Care alerts (trends).

Rules for *what* a reply says live in rules.toml (see surveys/rules.py); this module decides
what work that makes for each team, and keeps it to one open ticket per problem and one open
alert per kind for each contractor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from surveys.analysis import Analysis
from surveys.models import Alert, Response, Team, Ticket

EARLY_TENURE_DAYS = 45
LOW_SHARE = 0.4  # 2 of 5, or 4 of 10: "low" whatever the survey's scale
OPEN = ("open", "claimed", "acknowledged", "escalated")


@dataclass
class Triage:
    tickets: list[Ticket] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def is_low(rating: int | None, scale_max: int) -> bool:
    return rating is not None and rating / scale_max <= LOW_SHARE


def _link(items: list[Response], response: Response) -> None:
    if response not in items:
        items.append(response)


def open_ticket(session: Session, response: Response, analysis: Analysis) -> Ticket:
    """A second report of the same problem joins the open ticket instead of opening another."""
    ticket = None
    if response.contractor_id is not None:
        ticket = session.scalar(
            select(Ticket).where(
                Ticket.contractor_id == response.contractor_id,
                Ticket.category == analysis.category,
                Ticket.status.in_(OPEN),
            )
        )
    if ticket is None:
        ticket = Ticket(
            contractor_id=response.contractor_id,
            category=analysis.category,
            priority=analysis.priority or "normal",
            team=Team.SUPPORT,
            rule=analysis.rule or "unknown",
            summary=response.text[:280],
        )
        session.add(ticket)
    _link(ticket.responses, response)
    return ticket


def raise_alert(
    session: Session, response: Response, kind: str, severity: str, reason: str
) -> Alert:
    alert = session.scalar(
        select(Alert).where(
            Alert.contractor_id == response.contractor_id,
            Alert.kind == kind,
            Alert.status.in_(OPEN),
        )
    )
    if alert is None:
        alert = Alert(
            contractor_id=response.contractor_id,
            kind=kind,
            severity=severity,
            evidence={"reasons": [reason]},
        )
        session.add(alert)
    elif reason not in alert.evidence.get("reasons", []):
        alert.evidence = {**alert.evidence, "reasons": [*alert.evidence.get("reasons", []), reason]}
    _link(alert.responses, response)
    return alert


def _previous_rating(session: Session, response: Response) -> Response | None:
    return session.scalar(
        select(Response)
        .where(
            Response.contractor_id == response.contractor_id,
            Response.id != response.id,
            Response.rating.is_not(None),
        )
        .order_by(Response.created_at.desc(), Response.id.desc())
        .limit(1)
    )


def apply(session: Session, response: Response, analysis: Analysis) -> Triage:
    """Open or extend the tickets and alerts that one reply warrants."""
    result = Triage()
    if analysis.category != "none":
        result.tickets.append(open_ticket(session, response, analysis))

    contractor = response.contractor
    if contractor is None:
        return result  # trends need a known contractor
    if analysis.quit_intent:
        result.alerts.append(
            raise_alert(session, response, "quit_intent", "urgent", "said they may leave")
        )
    if is_low(response.rating, response.scale_max):
        previous = _previous_rating(session, response)
        if previous is not None and is_low(previous.rating, previous.scale_max):
            result.alerts.append(
                raise_alert(
                    session, response, "low_rating_streak", "high", "two low ratings in a row"
                )
            )
    tenure = (response.created_at or now()).date() - contractor.start_date
    if analysis.negative and tenure <= timedelta(days=EARLY_TENURE_DAYS):
        result.alerts.append(
            raise_alert(
                session,
                response,
                "early_tenure",
                "high",
                f"negative reply {tenure.days} days into the assignment",
            )
        )
    return result
