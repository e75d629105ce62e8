"""From analysed replies to Support tickets (concrete problems) and Care alerts (trends).

What a reply says is read by surveys.analysis (the learned reader and must-catch rules);
this module decides what work that makes for each team. Support gets one open ticket per
contractor and problem: a second report of the same problem joins it. Care's rules live in
:mod:`surveys.care` (and, for silence, which no reply raises, :mod:`surveys.silence`); a batch
of replies shares one :class:`surveys.triage_memory.Memory` of what they look up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now
from surveys.analysis import Analysis
from surveys.care import care_alerts, link_replies
from surveys.categories import Priority
from surveys.models import OPEN_WORK, Alert, Response, Team, Ticket
from surveys.triage_memory import Memory


@dataclass
class Triage:
    tickets: list[Ticket] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


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
        if memory is not None:
            memory.links.add(session, ticket, [response])
    elif memory is not None:
        if not memory.links.has(session, ticket, response):
            ticket.updated_at = now()  # a new report is news to whoever works the ticket
            memory.links.add(session, ticket, [response])
    elif response not in ticket.responses:
        ticket.updated_at = now()
    if memory is None:
        link_replies(ticket.responses, [response])
    if memory is not None and response.contractor_id is not None:
        memory.tickets[key] = ticket
    return ticket


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
    result.alerts.extend(care_alerts(session, response, contractor, analysis, memory))
    if memory is not None:
        memory.triaged(response, contractor.client)
    return result
