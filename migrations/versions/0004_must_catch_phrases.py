"""must-catch phrases staff add on the Reading rules page

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "must_catch_phrases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("except_phrases", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_must_catch_phrases_created_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_must_catch_phrases")),
    )
    with op.batch_alter_table("must_catch_phrases") as batch:
        batch.create_index(batch.f("ix_must_catch_phrases_active"), ["active"], unique=False)


def downgrade() -> None:
    op.drop_table("must_catch_phrases")
