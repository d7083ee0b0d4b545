"""Who calls at a phone meeting (O-4, issue 13): the advisor calls the citizen, or the
citizen calls the offer's number. Phone offers saved before told citizens to call the
number themselves, so they keep that ("citizen").

Revision ID: offers_0014
Revises: offers_0013
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0014"
down_revision: str | None = "offers_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "(channel = 'phone' AND caller IN ('advisor', 'citizen')) OR (channel <> 'phone' AND caller IS NULL)"


def upgrade() -> None:
    op.add_column("offer", sa.Column("caller", sa.String(length=10), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:  # the offer list's deferred triggers fire now, so the table may be altered after
        op.execute("SET CONSTRAINTS ALL IMMEDIATE")
    op.execute("UPDATE offer SET caller = 'citizen' WHERE channel = 'phone'")
    # SQLite adds a constraint only by copying the table, which would drop the offer list's
    # triggers (offers_0009); the local demo goes without it, the operations check it too.
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(op.f("ck_offer_caller_of_phone_meetings"), "offer", CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_offer_caller_of_phone_meetings"), "offer", type_="check")
    op.execute("ALTER TABLE offer DROP COLUMN caller")  # SQLite too (3.35+), keeping its triggers
