"""Advisors' working time on single dates, as offers announces it (issue 3 point 2).

Revision ID: 0003_calendar_sync
Revises: 0002_calendar_sync
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_calendar_sync"
down_revision: str | None = "0002_calendar_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("advisor_calendar", sa.Column("working_exceptions", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    op.drop_column("advisor_calendar", "working_exceptions")
