"""The waiting list of full group meetings (afventerliste, issue 14): each citizen's place,
and the seats of a meeting held for the citizen a freed seat is offered to.

Revision ID: 2026_12_12_0013
Revises: 2026_12_11_0012
Create Date: 2026-12-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime

revision: str = "2026_12_12_0013"
down_revision: str | None = "2026_12_11_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('waiting', 'offered')"
OFFERED = "status = 'offered'"
STATUSES = "status IN ('waiting', 'offered', 'booked', 'expired', 'left', 'closed')"


def upgrade() -> None:
    with op.batch_alter_table("group_meeting_view") as batch:
        batch.add_column(sa.Column("held", sa.Integer(), server_default=sa.text("0"), nullable=False))
        batch.create_check_constraint(op.f("ck_group_meeting_view_held_not_negative"), "held >= 0")
    op.create_table(
        "waiting_list_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("group_meeting_id", sa.Uuid(), nullable=False),
        sa.Column("citizen_cpr_index", sa.String(length=64), nullable=False),
        sa.Column("citizen_cpr_sealed", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("joined_at", AwareDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("offered_at", AwareDateTime(), nullable=True),
        sa.Column("offer_expires_at", AwareDateTime(), nullable=True),
        sa.Column("ended_at", AwareDateTime(), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(STATUSES, name=op.f("ck_waiting_list_entry_waiting_list_status")),
        sa.CheckConstraint(
            "status <> 'offered' OR offer_expires_at IS NOT NULL", name=op.f("ck_waiting_list_entry_offered_until")
        ),
        sa.CheckConstraint(
            "status <> 'booked' OR booking_id IS NOT NULL", name=op.f("ck_waiting_list_entry_booked_booking")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiting_list_entry")),
    )
    op.create_index("ix_waiting_list_meeting", "waiting_list_entry", ["group_meeting_id", "joined_at"])
    op.create_index("uq_waiting_list_citizen_offer", "waiting_list_entry", ["offer_id", "citizen_cpr_index"],
                    unique=True, postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))  # fmt: skip
    op.create_index("ix_waiting_list_offered_until", "waiting_list_entry", ["offer_expires_at"],
                    postgresql_where=sa.text(OFFERED), sqlite_where=sa.text(OFFERED))  # fmt: skip


def downgrade() -> None:
    op.drop_table("waiting_list_entry")
    with op.batch_alter_table("group_meeting_view") as batch:
        batch.drop_constraint(op.f("ck_group_meeting_view_held_not_negative"), type_="check")
        batch.drop_column("held")
