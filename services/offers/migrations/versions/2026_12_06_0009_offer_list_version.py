"""The offer list's version (issue 12): one counter that every committed change to an offer,
its advisors or a job centre raises, by triggers in the database itself, so each API process
can keep the staff's offer lists and still see any change at once, whichever process, tool or
statement made it.

On PostgreSQL the triggers are deferred constraint triggers: they raise the counter at
commit, when the transaction holds every other lock it will take, so the counter's row lock
is held for moments and cannot take part in a deadlock. On SQLite (the demo) one writer
holds the whole database anyway.

Revision ID: offers_0009
Revises: offers_0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0009"
down_revision: str | None = "offers_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("offer", "offer_advisor", "job_centre")
BUMP = "UPDATE offer_list_version SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "offer_list_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_offer_list_version_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_list_version")),
    )
    op.execute("INSERT INTO offer_list_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION offer_list_changed() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER offer_list_changed_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION offer_list_changed()"
            )
            op.execute(
                f"CREATE TRIGGER offer_list_emptied_{table} AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION offer_list_changed()"
            )
        return
    for table in TABLES:
        for change in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER offer_list_changed_{table}_{change.lower()} AFTER {change} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER offer_list_changed_{table} ON {table}")
            op.execute(f"DROP TRIGGER offer_list_emptied_{table} ON {table}")
        op.execute("DROP FUNCTION offer_list_changed()")
    else:
        for table in TABLES:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER offer_list_changed_{table}_{change}")
    op.drop_table("offer_list_version")
