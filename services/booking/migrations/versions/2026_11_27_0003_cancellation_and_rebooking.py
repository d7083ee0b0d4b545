"""Cancellation (B-3) and rebooking (B-4): a moved booking points to the booking it became.

``booking`` already keeps the offer's terms of the booking day (``accept_cancellation``,
``rebooking_days_before``) and ``cancelled_at``; the exclusion constraint and the
one-booking-per-citizen-per-offer index already cover active bookings only, so a
cancelled or moved booking frees its time. This adds ``rebooked_to_id`` and, on
PostgreSQL, a check that only a cancelled booking can point to its successor (SQLite,
demo only, keeps the column without the check: adding one there means recreating the
table). Existing bookings get NULL: none was moved.

Revision ID: 2026_11_27_0003
Revises: 2026_11_26_0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_27_0003"
down_revision: str | None = "2026_11_26_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_booking_rebooked_is_cancelled"


def upgrade() -> None:
    op.add_column("booking", sa.Column("rebooked_to_id", sa.Uuid(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(op.f(CHECK), "booking", "rebooked_to_id IS NULL OR cancelled_at IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(CHECK), "booking", type_="check")
    op.drop_column("booking", "rebooked_to_id")  # SQLite >= 3.35 drops it in place (keeps the partial index)
