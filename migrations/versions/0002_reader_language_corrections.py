"""the learned reader: language, model version and probabilities per reply; staff corrections

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contractors") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=5), nullable=False, server_default="en")
        )
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("lang", sa.String(length=5), nullable=True))
        batch.add_column(sa.Column("model_version", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("probabilities", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("needs_look", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("reviewed_at", core.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(batch.f("ix_responses_needs_look"), ["needs_look"], unique=False)
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=True))
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=True),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"], ["responses.id"], name=op.f("fk_corrections_response_id_responses")
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_corrections_staff_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    with op.batch_alter_table("corrections") as batch:
        batch.create_index(batch.f("ix_corrections_response_id"), ["response_id"], unique=False)
        batch.create_index(batch.f("ix_corrections_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("corrections")
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("translations")
    with op.batch_alter_table("responses") as batch:
        batch.drop_index(batch.f("ix_responses_needs_look"))
        for column in ("reviewed_at", "needs_look", "probabilities", "model_version", "lang"):
            batch.drop_column(column)
    with op.batch_alter_table("contractors") as batch:
        batch.drop_column("language")
