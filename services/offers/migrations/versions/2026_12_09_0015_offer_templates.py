"""Templates of offers per job centre (A-4, O-2, issue 13): the fields that pre-fill the
wizard, each optional.

Revision ID: offers_0015
Revises: offers_0014
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime

revision: str = "offers_0015"
down_revision: str | None = "offers_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offer_template",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_centre_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_centre_id"],
            ["job_centre.id"],
            name=op.f("fk_offer_template_job_centre_id_job_centre"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_template")),
        sa.UniqueConstraint("job_centre_id", "name", name=op.f("uq_offer_template_job_centre_id")),
    )


def downgrade() -> None:
    op.drop_table("offer_template")
