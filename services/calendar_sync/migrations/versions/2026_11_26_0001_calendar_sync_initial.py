"""calendar_sync initial: advisors' calendars, cached calendar objects, offers, booked
meetings, outbox and processed events.

Revision ID: 0001_calendar_sync
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_calendar_sync"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "advisor_calendar",
        sa.Column("advisor_id", sa.String(64), nullable=False),
        sa.Column("job_centre_code", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("caldav_url", sa.String(2000), nullable=True),
        sa.Column("caldav_username", sa.String(200), nullable=True),
        sa.Column("caldav_password_encrypted", sa.Text(), nullable=True),
        sa.Column("working_hours", sa.JSON(), nullable=False),
        sa.Column("closed_days", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("synced_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("advisor_id", name=op.f("pk_advisor_calendar")),
    )
    op.create_table(
        "calendar_object",
        sa.Column("advisor_id", sa.String(64), nullable=False),
        sa.Column("href", sa.String(2000), nullable=False),
        sa.Column("etag", sa.String(500), nullable=True),
        sa.Column("uid", sa.String(500), nullable=True),
        sa.Column("busy", sa.JSON(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("advisor_id", "href", name=op.f("pk_calendar_object")),
    )
    op.create_table(
        "offer_schedule",
        sa.Column("offer_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("advisor_ids", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", name=op.f("pk_offer_schedule")),
    )
    op.create_table(
        "booked_meeting",
        sa.Column("booking_id", sa.String(64), nullable=False),
        sa.Column("advisor_id", sa.String(64), nullable=False),
        sa.Column("offer_id", sa.String(64), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occupied_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("calendar_href", sa.String(2000), nullable=True),
        sa.Column("etag", sa.String(500), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("write_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_booked_meeting")),
    )
    op.create_index("ix_booked_meeting_advisor_time", "booked_meeting", ["advisor_id", "start_at"])
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(op.f("ix_outbox_published_at"), "outbox", ["published_at"])
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_event")),
    )


def downgrade() -> None:
    op.drop_table("processed_event")
    op.drop_index(op.f("ix_outbox_published_at"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_booked_meeting_advisor_time", table_name="booked_meeting")
    op.drop_table("booked_meeting")
    op.drop_table("offer_schedule")
    op.drop_table("calendar_object")
    op.drop_table("advisor_calendar")
