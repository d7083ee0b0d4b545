"""The wizard's drafts (issue 13): a half-finished offer, or a half-finished edit of one
(``offer_id``), survives a closed browser.

Revision ID: offers_0011
Revises: offers_0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime

revision: str = "offers_0011"
down_revision: str | None = "offers_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offer_draft",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offer.id"], name=op.f("fk_offer_draft_offer_id_offer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_draft")),
    )
    op.create_index(op.f("ix_offer_draft_owner"), "offer_draft", ["owner"])


def downgrade() -> None:
    op.drop_index(op.f("ix_offer_draft_owner"), table_name="offer_draft")
    op.drop_table("offer_draft")
