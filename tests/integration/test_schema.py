import json
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from core import migrate
from core.db import Base, db


def test_migrations_match_models_with_no_difference(app) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migration_0005_moves_a_waiting_staff_message_schedule_into_its_columns(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
    migrate.upgrade(url, "0004")
    engine = create_engine(url)
    payload = {"staff_user_id": 1, "not_before": "2026-03-02T15:01:00+00:00", "attempts": 2}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO messages (direction, channel, from_address, to_address, body,"
                " status, payload, process_attempts) VALUES ('outbound', 'sms', '', '+1212555',"
                " 'Hi', 'scheduled', :payload, 0)"
            ),
            {"payload": json.dumps(payload)},
        )
    migrate.upgrade(url)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT send_attempts, not_before, payload FROM messages")
        ).one()
    engine.dispose()

    assert row.send_attempts == 2
    assert str(row.not_before).startswith("2026-03-02 15:01:00")
    assert json.loads(row.payload) == {"staff_user_id": 1}


def test_migration_0009_keeps_a_one_question_survey_as_it_was(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flows.sqlite3'}"
    migrate.upgrade(url, "0001")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO surveys (key, name, question, scale_max, sms_template,"
                " email_subject, email_template, onboarding_days, window_start, window_end,"
                " weekdays_only, active, created_at) VALUES ('pulse', 'Pulse', 'How?', 5,"
                " 'Hi', 'Hi', 'Hi', '[3]', '09:00', '18:00', 1, 1, '2026-03-02 15:00:00')"
            )
        )
    migrate.upgrade(url)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT key, flow, days_before_end, sms_template FROM surveys")
        ).one()
        conversations = connection.execute(text("SELECT count(*) FROM conversations")).scalar()
    engine.dispose()

    assert (row.key, row.flow, row.days_before_end, row.sms_template) == ("pulse", None, None, "Hi")
    assert conversations == 0
