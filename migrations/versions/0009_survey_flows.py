"""survey flows: steps and branches on surveys, conversations, tasks for recruiting and Care

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("days_before_end", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("flow", sa.JSON(), nullable=True))
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("open_for", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("reasked", sa.Boolean(), nullable=False),
        sa.Column("asked", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("ending", sa.String(length=64), nullable=True),
        sa.Column("asked_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contractor_id"], ["contractors.id"], name=op.f("fk_conversations_contractor_id_contractors")),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitations.id"], name=op.f("fk_conversations_invitation_id_invitations")),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], name=op.f("fk_conversations_response_id_responses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_conversations_invitation_id")),
        sa.UniqueConstraint("open_for", name=op.f("uq_conversations_open_for")),
    )
    op.create_index(op.f("ix_conversations_contractor_id"), "conversations", ["contractor_id"])
    op.create_index(op.f("ix_conversations_response_id"), "conversations", ["response_id"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("team", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contractor_id"], ["contractors.id"], name=op.f("fk_tasks_contractor_id_contractors")),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], name=op.f("fk_tasks_conversation_id_conversations")),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], name=op.f("fk_tasks_response_id_responses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("conversation_id", "kind", name=op.f("uq_tasks_conversation_id")),
    )
    op.create_index(op.f("ix_tasks_team"), "tasks", ["team"])
    op.create_index(op.f("ix_tasks_contractor_id"), "tasks", ["contractor_id"])
    op.create_index(op.f("ix_tasks_created_at"), "tasks", ["created_at"])


def downgrade() -> None:
    op.drop_table("tasks")
    op.drop_table("conversations")
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("flow")
        batch.drop_column("days_before_end")
