"""Cancellations that arrive before their booking (a redelivery can reorder events).

Revision ID: 0005_calendar_sync
Revises: 0004_calendar_sync
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_calendar_sync"
down_revision: str | None = "0004_calendar_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "early_cancellation",
        sa.Column("booking_id", sa.String(64), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_early_cancellation")),
    )


def downgrade() -> None:
    op.drop_table("early_cancellation")
