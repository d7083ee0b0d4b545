"""Calendar conflicts staff have handled (issue 13): when and by whom.

Revision ID: offers_0012
Revises: offers_0011
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime

revision: str = "offers_0012"
down_revision: str | None = "offers_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("calendar_conflict", sa.Column("handled_at", AwareDateTime(), nullable=True))
    op.add_column("calendar_conflict", sa.Column("handled_by", sa.String(length=200), nullable=True))
    op.add_column("calendar_conflict", sa.Column("handled_by_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_conflict") as batch:
        batch.drop_column("handled_by_name")
        batch.drop_column("handled_by")
        batch.drop_column("handled_at")
