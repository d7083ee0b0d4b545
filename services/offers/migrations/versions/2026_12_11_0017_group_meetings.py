"""Group meetings (fællesmøder, O-11 to O-13, issue 14): the concrete meetings of a group
offer, each with its start and seats (the room's capacity or a number, plus extra seats for
citizens who rebook).

Revision ID: offers_0017
Revises: offers_0016
Create Date: 2026-12-11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime

revision: str = "offers_0017"
down_revision: str | None = "offers_0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "group_meeting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", AwareDateTime(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("extra_seats", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", AwareDateTime(), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.Column("taken", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("taken_changed_at", AwareDateTime(), nullable=True),
        sa.CheckConstraint("seats IS NULL OR seats > 0", name=op.f("ck_group_meeting_seats_positive")),
        sa.CheckConstraint("extra_seats >= 0", name=op.f("ck_group_meeting_extra_seats_not_negative")),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offer.id"], name=op.f("fk_group_meeting_offer_id_offer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_meeting")),
    )
    op.create_index("ix_group_meeting_offer_id_starts_at", "group_meeting", ["offer_id", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_group_meeting_offer_id_starts_at", table_name="group_meeting")
    op.drop_table("group_meeting")
