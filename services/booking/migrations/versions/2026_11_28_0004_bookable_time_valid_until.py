"""Bookable times expire with their advisor's calendar data (``availability.computed``'s
``calendar_valid_until``): booking stops offering a start once the calendar it was
computed from has not been read for too long, even when no newer computation arrives.
Existing rows get NULL: no bound, as before.

Revision ID: 2026_11_28_0004
Revises: 2026_11_27_0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_28_0004"
down_revision: str | None = "2026_11_27_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("bookable_time", sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("bookable_time", "valid_until")
