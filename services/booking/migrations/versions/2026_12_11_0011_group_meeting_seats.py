"""Seats at group meetings (fællesmøder, issue 14): booking's copy of each meeting with the
number of its seats taken, and bookings that are a seat at a meeting instead of a time with
one advisor (``advisor_id`` NULL, ``group_meeting_id`` set; the advisors' exclusion
constraint never compares such rows, since NULL equals nothing).

Revision ID: 2026_12_11_0011
Revises: 2026_12_09_0010
Create Date: 2026-12-11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime

revision: str = "2026_12_11_0011"
down_revision: str | None = "2026_12_09_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_OF = "(advisor_id IS NULL) <> (group_meeting_id IS NULL)"


def upgrade() -> None:
    op.create_table(
        "group_meeting_view",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("start_at", AwareDateTime(), nullable=False),
        sa.Column("end_at", AwareDateTime(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("extra_seats", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("taken", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("taken >= 0", name=op.f("ck_group_meeting_view_taken_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_meeting_view")),
    )
    op.create_index(op.f("ix_group_meeting_view_offer_id"), "group_meeting_view", ["offer_id"])
    with op.batch_alter_table("booking") as batch:
        batch.add_column(sa.Column("group_meeting_id", sa.Uuid(), nullable=True))
        batch.alter_column("advisor_id", existing_type=sa.Uuid(), nullable=True)
        batch.create_check_constraint(op.f("ck_booking_advisor_or_group_meeting"), ONE_OF)
    op.create_index(op.f("ix_booking_group_meeting_id"), "booking", ["group_meeting_id"])


def downgrade() -> None:
    op.execute("DELETE FROM booking WHERE group_meeting_id IS NOT NULL")
    op.drop_index(op.f("ix_booking_group_meeting_id"), table_name="booking")
    with op.batch_alter_table("booking") as batch:
        batch.drop_constraint(op.f("ck_booking_advisor_or_group_meeting"), type_="check")
        batch.alter_column("advisor_id", existing_type=sa.Uuid(), nullable=False)
        batch.drop_column("group_meeting_id")
    op.drop_index(op.f("ix_group_meeting_view_offer_id"), table_name="group_meeting_view")
    op.drop_table("group_meeting_view")
