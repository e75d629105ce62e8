"""staff messages: typed columns for their schedule and attempts, in place of JSON payload keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 13:00:00
"""

import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import core.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_messages = sa.table(
    "messages",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("send_attempts", sa.Integer),
    sa.column("not_before", core.types.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column("send_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("not_before", core.types.UTCDateTime(timezone=True), nullable=True)
        )
    # Staff messages still waiting keep their schedule: the payload keys become the columns.
    connection = op.get_bind()
    waiting = connection.execute(
        sa.select(_messages.c.id, _messages.c.payload).where(_messages.c.status == "scheduled")
    )
    for message_id, payload in waiting:
        data = json.loads(payload) if isinstance(payload, str) else dict(payload or {})
        values: dict[str, object] = {"send_attempts": int(data.pop("attempts", 0) or 0)}
        raw = data.pop("not_before", None)
        if isinstance(raw, str):
            values["not_before"] = datetime.fromisoformat(raw)
        values["payload"] = data
        connection.execute(
            sa.update(_messages).where(_messages.c.id == message_id).values(**values)
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("not_before")
        batch.drop_column("send_attempts")
