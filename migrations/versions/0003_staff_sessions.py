"""staff sessions kept server-side, so sign-out ends them; sign-in failures per known browser

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sessions_staff_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    with op.batch_alter_table("staff_sessions") as batch:
        batch.create_index(
            batch.f("ix_staff_sessions_staff_user_id"), ["staff_user_id"], unique=False
        )
        batch.create_index(batch.f("ix_staff_sessions_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("sign_in_failures") as batch:
        batch.add_column(sa.Column("device", sa.String(length=64), nullable=True))
        batch.create_index("ix_sign_in_failures_device_at", ["device", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failures") as batch:
        batch.drop_index("ix_sign_in_failures_device_at")
        batch.drop_column("device")
    with op.batch_alter_table("staff_sessions") as batch:
        batch.drop_index(batch.f("ix_staff_sessions_created_at"))
        batch.drop_index(batch.f("ix_staff_sessions_staff_user_id"))
    op.drop_table("staff_sessions")
