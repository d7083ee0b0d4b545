"""Attempt counters of syncs and calendar writes: a task whose worker is killed (memory,
time limit) is delivered again; after three such attempts it is dead-lettered (issue 10).

Revision ID: 0006_calendar_sync
Revises: 0005_calendar_sync
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_calendar_sync"
down_revision: str | None = "0005_calendar_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("advisor_calendar", sa.Column("sync_attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column("booked_meeting", sa.Column("write_attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("booked_meeting", "write_attempts")
    op.drop_column("advisor_calendar", "sync_attempts")
