"""Signed SendGrid events that SendGrid could not have sent, or sent long ago."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import db
from outreach.models import Consent, Direction, Message, ProviderEvent
from tests.conftest import FrozenClock
from tests.webhook_helpers import post_events

EMAIL = "rosa@example.com"


def _event(**fields: object) -> dict[str, object]:
    return {
        "email": EMAIL,
        "event": "spamreport",
        "sg_event_id": "evt-1",
        "sg_message_id": "abc123.filterdrecv-1",
        "timestamp": 1772463600,
        **fields,
    }


def _seen() -> tuple[int, list[str]]:
    with db.session() as session:
        events = session.scalar(select(func.count()).select_from(ProviderEvent)) or 0
        opted_out = [
            c.address for c in session.scalars(select(Consent).order_by(Consent.id)) if c.opted_out
        ]
        return events, opted_out


def _body(*events: dict[str, object]) -> bytes:
    return json.dumps(list(events)).encode()


@pytest.mark.parametrize(
    ("body", "stamp", "field"),
    [
        (_body(_event()), "\u00b2", "Timestamp"),  # a superscript two: isdigit() says yes
        (_body(_event()), "9" * 400, "Timestamp"),
        (_body(_event(message_id="9" * 400)), None, "message_id"),
        (_body(_event(message_id="\u00b2")), None, "message_id"),
        (_body(_event(message_id=2**40)), None, "message_id"),
        (_body(_event(sg_event_id="e" * 300)), None, "sg_event_id"),
        (_body(_event(email="a" * 400 + "@example.com")), None, "email"),
        (_body(_event(email="rosa\x00@example.com")), None, "email"),
        (_body(_event(status="5.1.1\x00")), None, "status"),
        (_body(_event(sg_message_id="m" * 300)), None, "sg_message_id"),
        (b"[" * 100_000 + b"]" * 100_000, None, "body"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, None, "body"),
    ],
)
def test_sendgrid_events_signed_but_malformed_get_400_naming_the_field(
    client: FlaskClient,
    settings: Settings,
    clock: FrozenClock,
    body: bytes,
    stamp: str | None,
    field: str,
) -> None:
    answer = post_events(client, settings, body, stamp)

    assert answer.status_code == 400
    assert field.encode() in answer.data
    assert _seen() == (0, [])


def test_sendgrid_events_replayed_batch_acts_once_and_not_at_all_after_the_window(
    client: FlaskClient, settings: Settings, clock: FrozenClock, session: Session
) -> None:
    session.add(
        Message(
            direction=Direction.OUTBOUND,
            channel="email",
            provider_id="abc123",
            from_address="pulse@example.com",
            to_address=EMAIL,
            status="sent",
        )
    )
    session.commit()
    body = _body(_event(), _event(event="delivered", sg_event_id="evt-2"))
    stamp = str(int(clock.current.timestamp()))
    assert post_events(client, settings, body, stamp).status_code == 204
    first = _seen()
    assert first == (2, [EMAIL])
    with db.session() as s:
        s.execute(Consent.__table__.update().values(opted_in_at=clock.advance(seconds=1)))

    within = post_events(client, settings, body, stamp).status_code
    # The same signed bytes cut differently: a digit of the timestamp moved into the body.
    recut = post_events(client, settings, stamp[-1].encode() + body, stamp[:-1]).status_code
    clock.advance(minutes=6)
    after = post_events(client, settings, body, stamp).status_code

    assert (within, after) == (204, 403)
    assert recut in (400, 403)
    assert _seen() == (2, [])  # the later opt-in stands: no replay opted the address out again
