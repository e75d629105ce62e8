"""Migrations 0002 onwards upgrade a database made by 0001 that has data in it, on SQLite and
PostgreSQL, and leave that data as it was."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from core import migrate
from tests.conftest import BACKENDS

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SCHEMA = "upgrade_from_0001"


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own: a SQLite file, or a PostgreSQL schema the shared one never uses."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'from-0001.sqlite3'}"
        return
    base = os.environ["TEST_POSTGRES_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{SCHEMA}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


def _insert(engine: Engine, table: str, **values: object) -> int:
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    with engine.begin() as connection:
        return int(
            connection.execute(
                # Table and column names are this file's own constants, never input.
                text(f"INSERT INTO {table} ({names}) VALUES ({marks}) RETURNING id"),  # noqa: S608
                values,
            ).scalar_one()
        )


def _seed_0001(engine: Engine) -> dict[str, int]:
    """One of everything the product keeps, written as 0001 knew it."""
    ids = {}
    ids["contractor"] = _insert(
        engine,
        "contractors",
        external_id="EXT-1",
        name="Ana Lima",
        phone="+14155550101",
        email="ana@example.com",
        timezone="America/Chicago",
        channel="sms",
        start_date=date(2026, 2, 1),
        end_date=None,
        client="Acme",
        account_manager="Dana",
        status="active",
        created_at=T0,
        updated_at=T0,
    )
    ids["survey"] = _insert(
        engine,
        "surveys",
        key="pulse",
        name="Pulse",
        question="How is it going?",
        scale_max=5,
        sms_template="Hi {first_name}",
        email_subject="How is {client}?",
        email_template="Hi",
        onboarding_days=json.dumps([3, 14]),
        window_start="09:00",
        window_end="18:00",
        weekdays_only=True,
        active=True,
        created_at=T0,
    )
    ids["invitation"] = _insert(
        engine,
        "invitations",
        survey_id=ids["survey"],
        contractor_id=ids["contractor"],
        due_on=date(2026, 3, 2),
        status="answered",
        channel="sms",
        reply_token="tok123",
        reminder_count=0,
        send_attempts=0,
        created_at=T0,
        sent_at=T0,
    )
    ids["response"] = _insert(
        engine,
        "responses",
        invitation_id=ids["invitation"],
        contractor_id=ids["contractor"],
        channel="sms",
        text="2 my timecard is late <b>again</b>",
        rating=2,
        scale_max=5,
        polarity=-0.3,
        subjectivity=0.6,
        vader_compound=-0.4,
        negative=True,
        category="timecard_pay",
        quit_intent=False,
        flags=json.dumps({"opt_out": False}),
        flagged=True,
        created_at=T0,
    )
    ids["message"] = _insert(
        engine,
        "messages",
        direction="inbound",
        channel="sms",
        provider_id="SM0001",
        contractor_id=ids["contractor"],
        invitation_id=ids["invitation"],
        response_id=ids["response"],
        from_address="+14155550101",
        to_address="+15005550006",
        body="2 my timecard is late <b>again</b>",
        status="received",
        payload=json.dumps({"Body": "2 my timecard is late <b>again</b>"}),
        created_at=T0,
        process_attempts=1,
        processed_at=T0,
    )
    ids["ticket"] = _insert(
        engine,
        "tickets",
        contractor_id=ids["contractor"],
        category="timecard_pay",
        priority="high",
        status="open",
        team="support",
        rule="timecard",
        summary="Timecard late",
        created_at=T0,
        updated_at=T0,
    )
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO ticket_responses (ticket_id, response_id) VALUES (:t, :r)"),
            {"t": ids["ticket"], "r": ids["response"]},
        )
    ids["consent"] = _insert(
        engine,
        "consents",
        address="+14155550199",
        channel="sms",
        opted_out_at=T0,
        source="keyword",
        updated_at=T0,
    )
    return ids


def test_migrations_upgrade_a_0001_database_with_data_and_keep_it_intact(
    empty_database: str,
) -> None:
    migrate.upgrade(empty_database, "0001")
    engine = create_engine(empty_database)
    try:
        ids = _seed_0001(engine)
        migrate.upgrade(empty_database)  # 0002 onwards, to head
        with engine.connect() as connection:
            head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            contractor = connection.execute(text("SELECT * FROM contractors")).mappings().one()
            invitation = connection.execute(text("SELECT * FROM invitations")).mappings().one()
            message = connection.execute(text("SELECT * FROM messages")).mappings().one()
            response = connection.execute(text("SELECT * FROM responses")).mappings().one()
            ticket = connection.execute(text("SELECT * FROM tickets")).mappings().one()
            link = connection.execute(text("SELECT * FROM ticket_responses")).one()
            events = connection.execute(
                text("SELECT address, change, source, actor FROM consent_events")
            ).all()
    finally:
        engine.dispose()

    assert head == migrate_head()
    assert (contractor["id"], contractor["external_id"], contractor["phone"]) == (
        ids["contractor"],
        "EXT-1",
        "+14155550101",
    )
    assert contractor["language"] == "en" and contractor["state"] is None  # new columns' defaults
    assert (invitation["status"], invitation["reply_token"], invitation["hold_reason"]) == (
        "answered",
        "tok123",
        None,
    )
    assert message["body"] == "2 my timecard is late <b>again</b>"
    assert message["response_id"] == ids["response"] and message["provider_id"] == "SM0001"
    assert message["send_attempts"] == 0
    assert (response["rating"], response["category"], response["text"]) == (
        2,
        "timecard_pay",
        "2 my timecard is late <b>again</b>",
    )
    assert (ticket["status"], ticket["summary"]) == ("open", "Timecard late")
    assert tuple(link) == (ids["ticket"], ids["response"])
    # The opt-out known before the consent log existed is its first entry.
    assert [tuple(e) for e in events] == [("+14155550199", "opt_out", "keyword", "migration:0007")]


def migrate_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head
