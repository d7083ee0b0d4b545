"""A row per change to an offer's or an advisor's free times, whose sum per subject is its
version, so the API processes can serve prepared times and still see each change at once
(issue 12).

Revision ID: 2026_12_05_0009
Revises: 2026_12_04_0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_0009"
down_revision: str | None = "2026_12_04_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "free_time_change",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("amount", BIG, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_free_time_change"),
    )
    op.create_index("ix_free_time_change_subject_id_amount", "free_time_change", ["subject_id", "amount"])


def downgrade() -> None:
    op.drop_table("free_time_change")
