"""Advisors' working time on single dates (a day off, other hours), issue 3 point 2.

Revision ID: offers_0005
Revises: offers_0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0005"
down_revision: str | None = "offers_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("advisor", sa.Column("working_exceptions", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    op.drop_column("advisor", "working_exceptions")
