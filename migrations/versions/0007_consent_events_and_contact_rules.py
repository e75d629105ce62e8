"""consent events (append-only), contractor state, invitation hold reason, confirmation claim

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("text_version", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    with op.batch_alter_table("consent_events") as batch:
        batch.create_index(batch.f("ix_consent_events_address"), ["address"], unique=False)
    with op.batch_alter_table("contractors") as batch:
        batch.add_column(sa.Column("state", sa.String(length=2), nullable=True))
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("hold_reason", sa.String(length=20), nullable=True))
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("confirmation_message_id", sa.Integer(), nullable=True))
    # What was known before the log existed becomes its first entries, so an export of an old
    # address is not empty: the change, when and how, with no text version (none was kept).
    consents = sa.table(
        "consents",
        sa.column("address", sa.String),
        sa.column("channel", sa.String),
        sa.column("source", sa.String),
        sa.column("opted_out_at", core.types.UTCDateTime(timezone=True)),
        sa.column("opted_in_at", core.types.UTCDateTime(timezone=True)),
    )
    events = sa.table(
        "consent_events",
        sa.column("address", sa.String),
        sa.column("channel", sa.String),
        sa.column("change", sa.String),
        sa.column("source", sa.String),
        sa.column("actor", sa.String),
        sa.column("occurred_at", core.types.UTCDateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = []
    for address, channel, source, out_at, in_at in connection.execute(
        sa.select(
            consents.c.address,
            consents.c.channel,
            consents.c.source,
            consents.c.opted_out_at,
            consents.c.opted_in_at,
        )
    ):
        if out_at is not None:
            rows.append(
                {
                    "address": address,
                    "channel": channel,
                    "change": "opt_out",
                    "source": source or "unknown",
                    "actor": "migration:0007",
                    "occurred_at": out_at,
                }
            )
        if in_at is not None:
            rows.append(
                {
                    "address": address,
                    "channel": channel,
                    "change": "opt_in",
                    "source": "keyword",
                    "actor": "migration:0007",
                    "occurred_at": in_at,
                }
            )
    if rows:
        connection.execute(sa.insert(events), rows)


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("confirmation_message_id")
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("hold_reason")
    with op.batch_alter_table("contractors") as batch:
        batch.drop_column("state")
    op.drop_table("consent_events")
