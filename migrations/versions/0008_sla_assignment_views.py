"""SLA policies, team hours and clocks; round-robin turns; saved queue views; inbox states

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = core.types.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "team_hours",
        sa.Column("team", sa.String(length=10), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("holiday_country", sa.String(length=2), nullable=False),
        sa.Column("holiday_subdivision", sa.String(length=10), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("per_person_cap", sa.Integer(), nullable=False),
        _fk("team_hours", "lead_id", "staff_users"),
        sa.PrimaryKeyConstraint("team", name=op.f("pk_team_hours")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("team", "priority", name=op.f("uq_sla_policies_team")),
    )
    op.create_table(
        "sla_clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(length=10), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("first_response_warn_at", WHEN, nullable=False),
        sa.Column("first_response_due", WHEN, nullable=False),
        sa.Column("resolution_warn_at", WHEN, nullable=False),
        sa.Column("resolution_due", WHEN, nullable=False),
        sa.Column("first_responded_at", WHEN, nullable=True),
        sa.Column("resolved_at", WHEN, nullable=True),
        sa.Column("warned_at", WHEN, nullable=True),
        sa.Column("escalated_at", WHEN, nullable=True),
        sa.Column("escalated_to", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["escalated_to"], ["staff_users.id"], name=op.f("fk_sla_clocks_escalated_to_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clocks")),
        sa.UniqueConstraint("item_type", "item_id", name=op.f("uq_sla_clocks_item_type")),
    )
    with op.batch_alter_table("sla_clocks") as batch:
        batch.create_index(batch.f("ix_sla_clocks_team"), ["team"], unique=False)
    op.create_table(
        "assignment_turns",
        sa.Column("team", sa.String(length=10), nullable=False),
        sa.Column("last_staff_user_id", sa.Integer(), nullable=True),
        _fk("assignment_turns", "last_staff_user_id", "staff_users"),
        sa.PrimaryKeyConstraint("team", name=op.f("pk_assignment_turns")),
    )
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("saved_views", "staff_user_id", "staff_users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint(
            "staff_user_id", "queue", "name", name=op.f("uq_saved_views_staff_user_id")
        ),
    )
    with op.batch_alter_table("saved_views") as batch:
        batch.create_index(
            batch.f("ix_saved_views_staff_user_id"), ["staff_user_id"], unique=False
        )
    op.create_table(
        "inbox_items",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("inbox_items", "response_id", "responses"),
        _fk("inbox_items", "assignee_id", "staff_users"),
        _fk("inbox_items", "updated_by", "staff_users"),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_inbox_items")),
    )
    with op.batch_alter_table("inbox_items") as batch:
        batch.create_index(batch.f("ix_inbox_items_state"), ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("inbox_items")
    op.drop_table("saved_views")
    op.drop_table("assignment_turns")
    op.drop_table("sla_clocks")
    op.drop_table("sla_policies")
    op.drop_table("team_hours")
