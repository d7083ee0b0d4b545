"""Citizens added to a group meeting by hand (V-7, issue 14): who added them, and why staff
set aside the offer's rules or its seats.

Revision ID: 2026_12_11_0012
Revises: 2026_12_11_0011
Create Date: 2026-12-11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_11_0012"
down_revision: str | None = "2026_12_11_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("booking", sa.Column("added_by", sa.String(length=200), nullable=True))
    op.add_column("booking", sa.Column("override_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE booking DROP COLUMN override_reason")  # SQLite too (3.35+)
    op.execute("ALTER TABLE booking DROP COLUMN added_by")
