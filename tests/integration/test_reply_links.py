"""A batch's links of replies to tickets and alerts, written as plain rows (surveys.links)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.care import StoredNegative
from surveys.links import Links
from surveys.models import Alert, Response, Ticket, alert_responses, ticket_responses
from tests.factories import make_alert, make_contractor, make_response, make_ticket


def _linked(session: Session, item: Ticket | Alert) -> list[int]:
    if isinstance(item, Ticket):
        key, table = ticket_responses.c.ticket_id, ticket_responses
    else:
        key, table = alert_responses.c.alert_id, alert_responses
    return sorted(session.scalars(select(table.c.response_id).where(key == item.id)))


def test_links_replies_offered_twice_or_stored_already_are_linked_once(session: Session) -> None:
    contractor = make_contractor(session)
    stored = make_response(session, contractor_id=contractor.id)
    ticket = make_ticket(session, contractor_id=contractor.id, responses=[stored])
    alert = make_alert(session, client="Acme Corp")
    session.commit()
    links = Links()
    links.load(session, [ticket, alert])
    new = Response(contractor_id=contractor.id, channel="sms", text="late again", scale_max=5)
    session.add(new)

    assert links.has(session, ticket, stored)
    assert not links.has(session, ticket, new)
    links.add(session, ticket, [stored, new])
    links.add(session, ticket, [new])  # a reply in two texts is triaged twice
    assert links.has(session, ticket, new)
    as_stored = StoredNegative(stored.id, contractor.id, stored.created_at, True)
    links.add(session, alert, [as_stored, stored, new])
    session.flush()
    links.write(session)
    links.add(session, alert, [new])  # asked again after it was written: already there
    links.write(session)
    session.commit()

    assert _linked(session, ticket) == sorted([stored.id, new.id])
    assert _linked(session, alert) == sorted([stored.id, new.id])


def test_links_ticket_the_batch_did_not_load_is_asked_about_once_then_known(
    session: Session,
) -> None:
    contractor = make_contractor(session)
    stored = make_response(session, contractor_id=contractor.id)
    ticket = make_ticket(session, contractor_id=contractor.id, responses=[stored])
    fresh = Ticket(
        contractor_id=contractor.id,
        category="safety_harassment",
        priority="urgent",
        team="support",
        rule="r",
        summary="s",
    )
    session.add(fresh)
    session.commit()
    links = Links()

    assert links.has(session, ticket, stored)  # loaded on first ask
    links.add(session, fresh, [stored])
    session.flush()
    links.write(session)
    session.commit()

    assert _linked(session, fresh) == [stored.id]
    assert _linked(session, ticket) == [stored.id]
