"""A version number of each advisor's cached busy time (workers keep it in memory and
splice single changes into it), and cancelled booked meetings (they stop being busy time).

Revision ID: 0004_calendar_sync
Revises: 0003_calendar_sync
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_calendar_sync"
down_revision: str | None = "0003_calendar_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("advisor_calendar", sa.Column("busy_version", sa.Integer(), server_default="0", nullable=False))
    op.add_column("booked_meeting", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("booked_meeting", "cancelled_at")
    op.drop_column("advisor_calendar", "busy_version")
