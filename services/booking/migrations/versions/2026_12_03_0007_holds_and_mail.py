"""Holds and e-mail to citizens (issue 11).

A hold is a ``booking`` row with ``held_until`` set (and, when it would move a booking,
``rebooking_of_id``), so the exclusion constraint that keeps an advisor's bookings apart
keeps holds apart from them too. The one-active-booking index now counts bookings only; a
second partial unique index allows one hold per citizen per offer. ``booking.email`` is the
address a citizen gave for the confirmation; ``citizen_profile.email`` the imported one.
``citizen_mail`` holds the messages the mail worker sends after the commit. On SQLite (demo
only) the new check is left out, as 0003 did with its own.

Revision ID: 2026_12_03_0007
Revises: 2026_12_02_0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime

revision: str = "2026_12_03_0007"
down_revision: str | None = "2026_12_02_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_PER_OFFER = "uq_booking_active_citizen_offer"
ONE_HOLD_PER_OFFER = "uq_booking_hold_citizen_offer"
HELD_UNTIL = "ix_booking_held_until"
CHECK = "ck_booking_rebooking_of_is_hold"
ACTIVE = sa.text("cancelled_at IS NULL")
IS_BOOKING = sa.text("cancelled_at IS NULL AND held_until IS NULL")
IS_HOLD = sa.text("cancelled_at IS NULL AND held_until IS NOT NULL")
DUE = sa.text("sent_at IS NULL AND failed_at IS NULL")


def _one_per_offer(where: sa.TextClause) -> None:
    op.create_index(
        ONE_PER_OFFER,
        "booking",
        ["offer_id", "citizen_cpr_index"],
        unique=True,
        postgresql_where=where,
        sqlite_where=where,
    )


def upgrade() -> None:
    op.add_column("booking", sa.Column("held_until", AwareDateTime(), nullable=True))
    op.add_column("booking", sa.Column("rebooking_of_id", sa.Uuid(), nullable=True))
    op.add_column("booking", sa.Column("email", sa.String(254), nullable=True))
    op.add_column("citizen_profile", sa.Column("email", sa.String(254), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(op.f(CHECK), "booking", "held_until IS NOT NULL OR rebooking_of_id IS NULL")
    op.drop_index(ONE_PER_OFFER, table_name="booking")
    _one_per_offer(IS_BOOKING)
    op.create_index(
        ONE_HOLD_PER_OFFER,
        "booking",
        ["offer_id", "citizen_cpr_index"],
        unique=True,
        postgresql_where=IS_HOLD,
        sqlite_where=IS_HOLD,
    )
    op.create_index(HELD_UNTIL, "booking", ["held_until"], postgresql_where=IS_HOLD, sqlite_where=IS_HOLD)

    op.create_table(
        "citizen_mail",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("calendar", sa.Text(), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", AwareDateTime(), nullable=False),
        sa.Column("sending_since", AwareDateTime(), nullable=True),
        sa.Column("sent_at", AwareDateTime(), nullable=True),
        sa.Column("failed_at", AwareDateTime(), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_mail")),
        sa.UniqueConstraint("booking_id", "kind", name="uq_citizen_mail_booking_kind"),
    )
    op.create_index("ix_citizen_mail_due", "citizen_mail", ["next_attempt_at"], postgresql_where=DUE, sqlite_where=DUE)


def downgrade() -> None:
    op.drop_index("ix_citizen_mail_due", table_name="citizen_mail")
    op.drop_table("citizen_mail")
    op.execute("DELETE FROM booking WHERE held_until IS NOT NULL")  # holds are not bookings
    op.drop_index(HELD_UNTIL, table_name="booking")
    op.drop_index(ONE_HOLD_PER_OFFER, table_name="booking")
    op.drop_index(ONE_PER_OFFER, table_name="booking")
    _one_per_offer(ACTIVE)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(CHECK), "booking", type_="check")
    op.drop_column("citizen_profile", "email")
    op.drop_column("booking", "email")
    op.drop_column("booking", "rebooking_of_id")
    op.drop_column("booking", "held_until")
