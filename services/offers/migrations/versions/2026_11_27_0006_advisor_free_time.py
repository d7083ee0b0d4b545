"""Advisors' free time as the calendar-sync worker announces it, for placing group
meetings (O-12).

Revision ID: offers_0006
Revises: offers_0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0006"
down_revision: str | None = "offers_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advisor_free_time",
        sa.Column("advisor_id", sa.Uuid(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("free", sa.JSON(), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("advisor_id", name=op.f("pk_advisor_free_time")),
    )


def downgrade() -> None:
    op.drop_table("advisor_free_time")
