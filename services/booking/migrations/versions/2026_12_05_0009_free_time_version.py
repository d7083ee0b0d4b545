"""A version counter per offer and per advisor, bumped by every change to their free times,
so the API processes can serve prepared times and still see each change at once (issue 12).

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


def upgrade() -> None:
    op.create_table(
        "free_time_version",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", name="pk_free_time_version"),
    )


def downgrade() -> None:
    op.drop_table("free_time_version")
