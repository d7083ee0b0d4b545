"""An index of each offer's bookable times in time order across its advisors (the week page
asks for the first free start and one week's starts; the primary key orders by advisor first).

Revision ID: 2026_12_04_0008
Revises: 2026_12_03_0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_04_0008"
down_revision: str | None = "2026_12_03_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_bookable_time_offer_id_start_at"


def upgrade() -> None:
    op.create_index(INDEX, "bookable_time", ["offer_id", "start_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="bookable_time")
