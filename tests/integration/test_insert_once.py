from datetime import UTC, datetime

from sqlalchemy import select

from core.db import db, insert_once
from outreach.models import Message


def _row(provider_id: str, at: datetime) -> dict[str, object]:
    return {
        "direction": "inbound",
        "channel": "sms",
        "provider_id": provider_id,
        "from_address": "+14155550101",
        "to_address": "+15005550006",
        "body": "4 - très bien 👍",
        "status": "received",
        "payload": {"MessageSid": provider_id, "Body": "4 - très bien 👍"},
        "created_at": at,
        "process_attempts": 0,
    }


def test_insert_once_row_reads_back_through_the_orm_unchanged(app) -> None:  # type: ignore[no-untyped-def]
    on_the_second = datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC)  # no microseconds
    with_micros = datetime(2026, 3, 2, 15, 0, 0, 250000, tzinfo=UTC)
    first = insert_once(db.engine, Message.__table__, _row("SM1", on_the_second))
    second = insert_once(db.engine, Message.__table__, _row("SM2", with_micros))
    assert first is not None and second is not None
    with db.session() as session:
        stored = session.get_one(Message, first)
        assert stored.body == "4 - très bien 👍"
        assert stored.payload == {"MessageSid": "SM1", "Body": "4 - très bien 👍"}
        assert stored.created_at == on_the_second
        # Stored timestamps order correctly whatever their precision.
        later = session.scalars(select(Message.id).where(Message.created_at > on_the_second)).all()
        assert later == [second]


def test_insert_once_same_provider_id_twice_stores_one_row(app) -> None:  # type: ignore[no-untyped-def]
    at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert insert_once(db.engine, Message.__table__, _row("SM1", at)) is not None
    assert insert_once(db.engine, Message.__table__, _row("SM1", at)) is None
    with db.session() as session:
        assert len(session.scalars(select(Message)).all()) == 1
