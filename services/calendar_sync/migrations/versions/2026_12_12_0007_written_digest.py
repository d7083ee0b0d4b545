"""What each booked meeting's event said when it was last written (a digest of its payload),
so that an update that would write the same event again is skipped (issue 14: a burst of
seat changes at a group meeting rewrites each advisor's event once, not once per seat).

Revision ID: 0007_calendar_sync
Revises: 0006_calendar_sync
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_calendar_sync"
down_revision: str | None = "0006_calendar_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("booked_meeting", sa.Column("written_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE booked_meeting DROP COLUMN written_digest")  # SQLite too (3.35+)
