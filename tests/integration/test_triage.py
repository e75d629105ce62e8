"""Support tickets from replies over the real path: webhook -> RQ worker -> Ticket rows."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.db import db
from surveys.models import Response, Ticket
from tests.conftest import FrozenClock
from tests.factories import make_contractor
from tests.integration.conftest import Live

PHONE = "+12125550147"
TIMECARD = "my timecard was rejected again"
TIMECARD_AGAIN = "Timecard still not approved, pay is late"


def _seed(*phones: str) -> None:
    with db.session() as session:
        for phone in phones or (PHONE,):
            make_contractor(session, phone=phone, start_date=date(2025, 6, 2))


def _tickets() -> list[Ticket]:
    with db.session() as session:
        tickets = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        for ticket in tickets:
            _ = ticket.responses  # loaded while the session is open
        return tickets


def _text(live: Live, clock: FrozenClock, body: str, phone: str = PHONE) -> None:
    assert live.sandbox.reply(phone, body) == 200
    live.work()
    clock.advance(hours=2)  # well apart: separate answers


def test_triage_second_report_of_a_problem_appends_to_the_open_ticket(
    live: Live, clock: FrozenClock
) -> None:
    _seed()

    _text(live, clock, TIMECARD)
    _text(live, clock, TIMECARD_AGAIN)

    [ticket] = _tickets()
    with db.session() as session:
        first, second = session.scalars(select(Response).order_by(Response.id)).all()
    assert [r.id for r in ticket.responses] == [first.id, second.id]
    assert ticket.category == "timecard_pay"
    assert ticket.status == "open"
    # The ticket records what opened it: the reader (by version) or a must-catch rule.
    assert ticket.rule == f"reader {first.model_version}"
    assert first.model_version
    assert second.model_version == first.model_version


def test_triage_report_after_the_ticket_was_resolved_opens_a_new_ticket(
    live: Live, clock: FrozenClock
) -> None:
    _seed()
    _text(live, clock, TIMECARD)
    with db.session() as session:
        ticket = session.scalars(select(Ticket)).one()
        ticket.status, ticket.resolved_at = "resolved", clock.current

    _text(live, clock, TIMECARD_AGAIN)

    resolved, fresh = _tickets()
    assert (resolved.status, fresh.status) == ("resolved", "open")
    assert len(resolved.responses) == len(fresh.responses) == 1


def test_triage_another_problem_or_another_contractor_gets_its_own_ticket(
    live: Live, clock: FrozenClock
) -> None:
    other = "+12125550148"
    _seed(PHONE, other)

    _text(live, clock, TIMECARD)
    _text(live, clock, "the client manager yells at us every day")
    _text(live, clock, TIMECARD, phone=other)

    tickets = _tickets()
    assert [t.category for t in tickets] == ["timecard_pay", "client_conflict", "timecard_pay"]
    assert len({t.contractor_id for t in tickets}) == 2
    assert all(len(t.responses) == 1 for t in tickets)
