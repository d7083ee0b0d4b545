"""Each job centre chooses whether it is closed on Grundlovsdag, 24 and 31 December.

Revision ID: offers_0004
Revises: offers_0003
Create Date: 2026-11-26

Existing centres keep the earlier behaviour (closed on all three) through the default.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0004"
down_revision: str | None = "offers_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALL_THREE = '["christmas_eve", "constitution_day", "new_years_eve"]'


def upgrade() -> None:
    # A plain ALTER TABLE (not batch mode): on SQLite a batch copy of job_centre would trip
    # the foreign keys of every table that refers to it.
    op.add_column("job_centre", sa.Column("closed_optional_days", sa.JSON(), server_default=ALL_THREE, nullable=False))


def downgrade() -> None:
    op.drop_column("job_centre", "closed_optional_days")
