"""Calendar health on advisors and calendar conflicts (issue 3, points 4 and 5).

Revision ID: offers_0003
Revises: offers_0002
Create Date: 2026-11-26

Filled from the calendar-sync worker's events (calendar.health_changed and
booking.conflict_detected). Runs on PostgreSQL and SQLite: the new advisor columns are
nullable or have a server default, so existing rows need no backfill.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0003"
down_revision: str | None = "offers_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("advisor", sa.Column("calendar_last_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("advisor", sa.Column("calendar_last_success_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("advisor", sa.Column("calendar_last_error", sa.Text(), nullable=True))
    op.add_column("advisor", sa.Column("calendar_stale", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("advisor", sa.Column("calendar_health_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "calendar_conflict",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("advisor_id", sa.Uuid(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_calendar_conflict_end_after_start")),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_calendar_conflict")),
    )
    op.create_index(op.f("ix_calendar_conflict_advisor_id"), "calendar_conflict", ["advisor_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_conflict_advisor_id"), table_name="calendar_conflict")
    op.drop_table("calendar_conflict")
    with op.batch_alter_table("advisor") as batch:
        batch.drop_column("calendar_health_changed_at")
        batch.drop_column("calendar_stale")
        batch.drop_column("calendar_last_error")
        batch.drop_column("calendar_last_success_at")
        batch.drop_column("calendar_last_attempt_at")
