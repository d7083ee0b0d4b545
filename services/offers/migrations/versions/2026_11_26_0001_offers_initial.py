"""Offers service: job centres, closing days, teams, rooms, advisors, offers, outbox, inbox.

Revision ID: offers_0001
Revises:
Create Date: 2026-11-26

Runs on PostgreSQL and on SQLite (the demo): every constraint is created with its table,
and the CHECK expressions use only functions both have (length).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_centre",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(code) = 5", name=op.f("ck_job_centre_code_five_digits")),
        sa.ForeignKeyConstraint(["parent_id"], ["job_centre.id"], name=op.f("fk_job_centre_parent_id_job_centre")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_centre")),
        sa.UniqueConstraint("code", name=op.f("uq_job_centre_code")),
    )
    op.create_index(op.f("ix_job_centre_parent_id"), "job_centre", ["parent_id"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(op.f("ix_outbox_published_at"), "outbox", ["published_at"], unique=False)
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_event")),
    )
    op.create_table(
        "advisor",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_centre_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("working_hours", sa.JSON(), nullable=False),
        sa.Column("caldav_url", sa.String(length=1000), nullable=True),
        sa.Column("caldav_username", sa.String(length=200), nullable=True),
        sa.Column("caldav_password_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_centre_id"], ["job_centre.id"], name=op.f("fk_advisor_job_centre_id_job_centre")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advisor")),
    )
    op.create_index(op.f("ix_advisor_job_centre_id"), "advisor", ["job_centre_id"], unique=False)
    op.create_table(
        "closing_day",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_centre_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_centre_id"],
            ["job_centre.id"],
            name=op.f("fk_closing_day_job_centre_id_job_centre"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closing_day")),
        sa.UniqueConstraint("job_centre_id", "day", name=op.f("uq_closing_day_job_centre_id")),
    )
    op.create_table(
        "room",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_centre_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_room_capacity_positive")),
        sa.ForeignKeyConstraint(["job_centre_id"], ["job_centre.id"], name=op.f("fk_room_job_centre_id_job_centre")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room")),
    )
    op.create_index(op.f("ix_room_job_centre_id"), "room", ["job_centre_id"], unique=False)
    op.create_table(
        "team",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_centre_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_centre_id"], ["job_centre.id"], name=op.f("fk_team_job_centre_id_job_centre")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
    )
    op.create_index(op.f("ix_team_job_centre_id"), "team", ["job_centre_id"], unique=False)
    op.create_table(
        "advisor_team",
        sa.Column("advisor_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisor_id"], ["advisor.id"], name=op.f("fk_advisor_team_advisor_id_advisor"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_advisor_team_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("advisor_id", "team_id", name=op.f("pk_advisor_team")),
    )
    op.create_index(op.f("ix_advisor_team_team_id"), "advisor_team", ["team_id"], unique=False)
    op.create_table(
        "offer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_centre_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("conversation_type", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=100), nullable=True),
        sa.Column("meeting_form", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("reporting_minutes", sa.Integer(), nullable=False),
        sa.Column("start_minutes", sa.JSON(), nullable=False),
        sa.Column("first_meeting_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("rolling_weeks", sa.Integer(), nullable=True),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("room_id", sa.Uuid(), nullable=True),
        sa.Column("citizen_may_choose_advisor", sa.Boolean(), nullable=False),
        sa.Column("accept_cancellation", sa.Boolean(), nullable=False),
        sa.Column("rebooking_days_before", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("channel IN ('video', 'in_person', 'phone')", name=op.f("ck_offer_channel_known")),
        sa.CheckConstraint("meeting_form IN ('individual', 'group')", name=op.f("ck_offer_meeting_form_known")),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_offer_duration_positive")),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= first_meeting_date", name=op.f("ck_offer_end_after_first_meeting")
        ),
        sa.CheckConstraint("length(description) <= 500", name=op.f("ck_offer_description_max_500")),
        sa.CheckConstraint(
            "rebooking_days_before IS NULL OR rebooking_days_before >= 0",
            name=op.f("ck_offer_rebooking_days_not_negative"),
        ),
        sa.CheckConstraint("reporting_minutes >= 0", name=op.f("ck_offer_reporting_not_negative")),
        sa.CheckConstraint("rolling_weeks IS NULL OR rolling_weeks >= 1", name=op.f("ck_offer_rolling_weeks_positive")),
        sa.ForeignKeyConstraint(["job_centre_id"], ["job_centre.id"], name=op.f("fk_offer_job_centre_id_job_centre")),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], name=op.f("fk_offer_room_id_room")),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_offer_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer")),
    )
    op.create_index(op.f("ix_offer_job_centre_id"), "offer", ["job_centre_id"], unique=False)
    op.create_index(op.f("ix_offer_room_id"), "offer", ["room_id"], unique=False)
    op.create_index(op.f("ix_offer_team_id"), "offer", ["team_id"], unique=False)
    op.create_table(
        "offer_advisor",
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("advisor_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["advisor_id"], ["advisor.id"], name=op.f("fk_offer_advisor_advisor_id_advisor")),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offer.id"], name=op.f("fk_offer_advisor_offer_id_offer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("offer_id", "advisor_id", name=op.f("pk_offer_advisor")),
    )
    op.create_index(op.f("ix_offer_advisor_advisor_id"), "offer_advisor", ["advisor_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_offer_advisor_advisor_id"), table_name="offer_advisor")
    op.drop_table("offer_advisor")
    op.drop_index(op.f("ix_offer_team_id"), table_name="offer")
    op.drop_index(op.f("ix_offer_room_id"), table_name="offer")
    op.drop_index(op.f("ix_offer_job_centre_id"), table_name="offer")
    op.drop_table("offer")
    op.drop_index(op.f("ix_advisor_team_team_id"), table_name="advisor_team")
    op.drop_table("advisor_team")
    op.drop_index(op.f("ix_team_job_centre_id"), table_name="team")
    op.drop_table("team")
    op.drop_index(op.f("ix_room_job_centre_id"), table_name="room")
    op.drop_table("room")
    op.drop_table("closing_day")
    op.drop_index(op.f("ix_advisor_job_centre_id"), table_name="advisor")
    op.drop_table("advisor")
    op.drop_table("processed_event")
    op.drop_index(op.f("ix_outbox_published_at"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_job_centre_parent_id"), table_name="job_centre")
    op.drop_table("job_centre")
