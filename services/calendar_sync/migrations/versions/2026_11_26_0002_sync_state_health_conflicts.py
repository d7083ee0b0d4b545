"""calendar_sync: incremental sync state, calendar health, booking conflicts.

Revision ID: 0002_calendar_sync
Revises: 0001_calendar_sync
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_calendar_sync"
down_revision: str | None = "0001_calendar_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_ADVISOR_COLUMNS = ("sync_method", "sync_token", "ctag", "health_stale", "health_error", "health_published_at")


def upgrade() -> None:
    with op.batch_alter_table("advisor_calendar") as batch:
        batch.add_column(sa.Column("sync_method", sa.String(20), nullable=True))
        batch.add_column(sa.Column("sync_token", sa.Text(), nullable=True))
        batch.add_column(sa.Column("ctag", sa.String(500), nullable=True))
        batch.add_column(sa.Column("health_stale", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("health_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("health_published_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "booking_conflict",
        sa.Column("booking_id", sa.String(64), nullable=False),
        sa.Column("advisor_id", sa.String(64), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_booking_conflict")),
    )
    op.create_index("ix_booking_conflict_advisor", "booking_conflict", ["advisor_id"])


def downgrade() -> None:
    op.drop_index("ix_booking_conflict_advisor", table_name="booking_conflict")
    op.drop_table("booking_conflict")
    with op.batch_alter_table("advisor_calendar") as batch:
        for name in reversed(NEW_ADVISOR_COLUMNS):
            batch.drop_column(name)
