"""CPR numbers at rest (issue 10): no table keeps a CPR number in plain text.

``booking.citizen_cpr`` becomes ``citizen_cpr_index`` (HMAC of the number under the current
key of ``PLANNER_CPR_KEYS``; the one-active-booking-per-citizen-per-offer index now covers
it) and ``citizen_cpr_sealed`` (the number encrypted, Fernet); ``citizen_profile`` is keyed
by ``cpr_index`` and keeps ``cpr_sealed``; ``cpr_access_log.subject_cpr`` becomes
``subject_cpr_index`` and ``subject_cpr_sealed``; a logged-in citizen's session keeps the
number sealed (``shared.cpr_migration``). Existing rows are converted with the keys of the
settings; with rows and no key the upgrade is refused before anything changes. The
downgrade unseals them again (it needs a key too).

Revision ID: 2026_12_02_0006
Revises: 2026_12_01_0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.cpr_migration import (
    access_log_and_session_rows,
    count_rows,
    downgrade_access_log_and_sessions,
    migration_vault,
    seal_column,
    unseal_column,
    upgrade_access_log_and_sessions,
)

revision: str = "2026_12_02_0006"
down_revision: str | None = "2026_12_01_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_PER_OFFER = "uq_booking_active_citizen_offer"
ACTIVE = sa.text("cancelled_at IS NULL")


def _rows() -> int:
    return count_rows("booking") + count_rows("citizen_profile") + access_log_and_session_rows()


def upgrade() -> None:
    vault = migration_vault(_rows())
    op.add_column("booking", sa.Column("citizen_cpr_index", sa.String(64), nullable=True))
    op.add_column("booking", sa.Column("citizen_cpr_sealed", sa.Text(), nullable=True))
    op.add_column("citizen_profile", sa.Column("cpr_index", sa.String(64), nullable=True))
    op.add_column("citizen_profile", sa.Column("cpr_sealed", sa.Text(), nullable=True))
    if vault is not None:
        seal_column("booking", ("id", sa.Uuid()), "citizen_cpr", "citizen_cpr_index", "citizen_cpr_sealed", vault)
        seal_column("citizen_profile", ("cpr", sa.String(10)), "cpr", "cpr_index", "cpr_sealed", vault)

    op.drop_index(ONE_PER_OFFER, table_name="booking")
    with op.batch_alter_table("booking") as batch:
        batch.drop_column("citizen_cpr")
        batch.alter_column("citizen_cpr_index", existing_type=sa.String(64), nullable=False)
        batch.alter_column("citizen_cpr_sealed", existing_type=sa.Text(), nullable=False)
    op.create_index(
        ONE_PER_OFFER,
        "booking",
        ["offer_id", "citizen_cpr_index"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    with op.batch_alter_table("citizen_profile") as batch:
        batch.drop_constraint("pk_citizen_profile", type_="primary")
        batch.drop_column("cpr")
        batch.alter_column("cpr_index", existing_type=sa.String(64), nullable=False)
        batch.alter_column("cpr_sealed", existing_type=sa.Text(), nullable=False)
        batch.create_primary_key("pk_citizen_profile", ["cpr_index"])

    upgrade_access_log_and_sessions(vault)


def downgrade() -> None:
    vault = migration_vault(_rows(), "dekryptere")
    downgrade_access_log_and_sessions(vault)

    op.add_column("booking", sa.Column("citizen_cpr", sa.String(10), nullable=True))
    op.add_column("citizen_profile", sa.Column("cpr", sa.String(10), nullable=True))
    if vault is not None:
        unseal_column("booking", ("id", sa.Uuid()), "citizen_cpr_sealed", "citizen_cpr", vault)
        unseal_column("citizen_profile", ("cpr_index", sa.String(64)), "cpr_sealed", "cpr", vault)

    op.drop_index(ONE_PER_OFFER, table_name="booking")
    with op.batch_alter_table("booking") as batch:
        batch.drop_column("citizen_cpr_sealed")
        batch.drop_column("citizen_cpr_index")
        batch.alter_column("citizen_cpr", existing_type=sa.String(10), nullable=False)
    op.create_index(
        ONE_PER_OFFER, "booking", ["offer_id", "citizen_cpr"], unique=True, postgresql_where=ACTIVE, sqlite_where=ACTIVE
    )
    with op.batch_alter_table("citizen_profile") as batch:
        batch.drop_constraint("pk_citizen_profile", type_="primary")
        batch.drop_column("cpr_sealed")
        batch.drop_column("cpr_index")
        batch.alter_column("cpr", existing_type=sa.String(10), nullable=False)
        batch.create_primary_key("pk_citizen_profile", ["cpr"])
