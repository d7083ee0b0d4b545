"""Participant rules and marker routes in the offer read model, the catalogue version that
tells API processes to recompile them, citizen profiles and the CPR access log.

Offers already in the read model get no rules, so no citizen sees them until the offers
service announces them again with rules. Runs on PostgreSQL and SQLite.

Revision ID: 2026_11_26_0002
Revises: 2026_11_26_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_26_0002"
down_revision: str | None = "2026_11_26_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("offer_view", sa.Column("rules", sa.JSON(), nullable=True))
    op.add_column("offer_view", sa.Column("marker_routes", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))

    catalogue = op.create_table(
        "catalogue_version",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_catalogue_version"),
    )
    op.bulk_insert(catalogue, [{"name": "offers", "version": 1}])

    op.create_table(
        "citizen_profile",
        sa.Column("cpr", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("contact_group", sa.String(200), nullable=True),
        sa.Column("assessment_group", sa.String(200), nullable=True),
        sa.Column("sick_pay_category", sa.String(20), nullable=True),
        sa.Column("person_group_markers", sa.JSON(), nullable=False),
        sa.Column("job_centre", sa.String(5), nullable=True),
        sa.Column("other_actor", sa.Boolean(), nullable=True),
        sa.Column("other_actor_referrals", sa.JSON(), nullable=False),
        sa.Column("registration_date", sa.Date(), nullable=True),
        sa.Column("in_activation", sa.Boolean(), nullable=True),
        sa.Column("unemployment_fund", sa.String(200), nullable=True),
        sa.Column("booking_deadline", sa.Date(), nullable=True),
        sa.Column("last_meeting_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cpr", name="pk_citizen_profile"),
    )

    op.create_table(
        "cpr_access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(50), nullable=False),
        sa.Column("subject_cpr", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cpr_access_log"),
    )
    op.create_index("ix_cpr_access_log_at", "cpr_access_log", ["at"])
    op.create_index("ix_cpr_access_log_subject_cpr", "cpr_access_log", ["subject_cpr"])


def downgrade() -> None:
    op.drop_index("ix_cpr_access_log_subject_cpr", table_name="cpr_access_log")
    op.drop_index("ix_cpr_access_log_at", table_name="cpr_access_log")
    op.drop_table("cpr_access_log")
    op.drop_table("citizen_profile")
    op.drop_table("catalogue_version")
    with op.batch_alter_table("offer_view") as batch:
        batch.drop_column("marker_routes")
        batch.drop_column("rules")
