"""Booking: offer and availability read models, bookings, outbox and processed events.

On PostgreSQL the exclusion constraint (btree_gist) keeps every advisor free of
overlapping active bookings; on SQLite (demo only) the check runs in code inside one
immediate transaction. The partial unique index (one active booking per citizen per
offer) exists on both.

Revision ID: 2026_11_26_0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_26_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")

    op.create_table(
        "offer_view",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_centre_code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("conversation_type", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(200), nullable=True),
        sa.Column("meeting_form", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("place", sa.String(300), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("reporting_minutes", sa.Integer(), nullable=False),
        sa.Column("start_minutes", sa.JSON(), nullable=False),
        sa.Column("first_meeting_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("rolling_weeks", sa.Integer(), nullable=True),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("advisor_ids", sa.JSON(), nullable=False),
        sa.Column("citizen_may_choose_advisor", sa.Boolean(), nullable=False),
        sa.Column("accept_cancellation", sa.Boolean(), nullable=False),
        sa.Column("rebooking_days_before", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_offer_view"),
    )

    op.create_table(
        "availability_snapshot",
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("computed_at", _instant(), nullable=False),
        sa.Column("window_start", _instant(), nullable=False),
        sa.Column("window_end", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", name="pk_availability_snapshot"),
    )

    op.create_table(
        "bookable_time",
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("advisor_id", sa.Uuid(), nullable=False),
        sa.Column("start_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", "advisor_id", "start_at", name="pk_bookable_time"),
    )

    op.create_table(
        "booking",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(12), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("advisor_id", sa.Uuid(), nullable=False),
        sa.Column("citizen_cpr", sa.String(10), nullable=False),
        sa.Column("start_at", _instant(), nullable=False),
        sa.Column("end_at", _instant(), nullable=False),
        sa.Column("occupied_until", _instant(), nullable=False),
        sa.Column("accept_cancellation", sa.Boolean(), nullable=False),
        sa.Column("rebooking_days_before", sa.Integer(), nullable=True),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("cancelled_at", _instant(), nullable=True),
        sa.CheckConstraint("start_at < end_at AND end_at <= occupied_until", name="ck_booking_period"),
        sa.PrimaryKeyConstraint("id", name="pk_booking"),
        sa.UniqueConstraint("reference", name="uq_booking_reference"),
    )
    op.create_index("ix_booking_offer_id", "booking", ["offer_id"])
    op.create_index("ix_booking_advisor_id_start_at", "booking", ["advisor_id", "start_at"])
    op.create_index(
        "uq_booking_active_citizen_offer",
        "booking",
        ["offer_id", "citizen_cpr"],
        unique=True,
        postgresql_where=sa.text("cancelled_at IS NULL"),
        sqlite_where=sa.text("cancelled_at IS NULL"),
    )
    if postgresql:
        op.execute(
            "ALTER TABLE booking ADD CONSTRAINT ex_booking_advisor_overlap "
            "EXCLUDE USING gist (advisor_id WITH =, tstzrange(start_at, occupied_until, '[)') WITH &&) "
            "WHERE (cancelled_at IS NULL)"
        )

    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("published_at", _instant(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])

    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("processed_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_processed_event"),
    )


def downgrade() -> None:
    op.drop_table("processed_event")
    op.drop_index("ix_outbox_published_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("booking")  # drops its indexes and the exclusion constraint with it
    op.drop_table("bookable_time")
    op.drop_table("availability_snapshot")
    op.drop_table("offer_view")
    if op.get_bind().dialect.name == "postgresql":
        # The extension came with the exclusion constraint. It stays only when something else
        # in the database still uses it, or it is not ours to drop (made by another role).
        op.execute(
            "DO $$ BEGIN DROP EXTENSION IF EXISTS btree_gist; "
            "EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN "
            "RAISE NOTICE 'btree_gist is kept: %', SQLERRM; END $$"
        )
