"""Conversation type variants per job centre (A-2, issue 13): a list each centre keeps,
instead of free text on each offer. The variants offers already name become the first
entries of their centre's list, so every saved offer stays valid.

Revision ID: offers_0013
Revises: offers_0012
Create Date: 2026-12-09
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime

revision: str = "offers_0013"
down_revision: str | None = "offers_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    variant = op.create_table(
        "conversation_variant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_centre_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_type", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_centre_id"],
            ["job_centre.id"],
            name=op.f("fk_conversation_variant_job_centre_id_job_centre"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_variant")),
        sa.UniqueConstraint(
            "job_centre_id", "conversation_type", "name", name=op.f("uq_conversation_variant_job_centre_id")
        ),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_conversation_variant_name_not_blank")),
    )
    offer = sa.table(
        "offer",
        sa.column("job_centre_id", sa.Uuid()),
        sa.column("conversation_type", sa.Integer()),
        sa.column("variant", sa.String()),
    )
    named = sa.select(offer.c.job_centre_id, offer.c.conversation_type, sa.func.trim(offer.c.variant)).where(
        offer.c.variant.is_not(None), sa.func.length(sa.func.trim(offer.c.variant)) > 0
    )
    now = datetime.now(UTC)
    rows = [
        {"id": uuid.uuid4(), "job_centre_id": centre, "conversation_type": kind, "name": name, "created_at": now}
        for centre, kind, name in sorted(set(op.get_bind().execute(named).all()), key=str)
    ]
    if rows:
        op.bulk_insert(variant, rows)


def downgrade() -> None:
    op.drop_table("conversation_variant")
