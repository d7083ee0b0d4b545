"""Conversation types as data (A-2, issue 13): the public code list the offers used as a
fixed dict becomes a table that administrators of every job centre keep, seeded with its
eleven codes. The centres' variants point at it; a change raises the offer list's version,
since the list shows the names. Offers keep their code without a foreign key: SQLite adds
one only by copying the table, which would drop the offer list's triggers (offers_0009).

Revision ID: offers_0016
Revises: offers_0015
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime

revision: str = "offers_0016"
down_revision: str | None = "offers_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDED = {
    4: "Opfølgningssamtale",
    7: "Jobsamtale",
    8: "Henvisning",
    9: "Informationsmøde",
    10: "CV-samtale",
    11: "Formidlingssamtale",
    12: "Anden samtale",
    13: "Informationsmøde uden mødepligt",
    15: "Rådighedssamtale",
    17: "Jobsamtale med a-kasse",
    19: "Fælles jobsamtale med dagpengemodtager",
}
BUMP = "UPDATE offer_list_version SET version = version + 1 WHERE id = 1"
FOREIGN_KEY = "fk_conversation_variant_conversation_type_conversation_type"


def upgrade() -> None:
    table = op.create_table(
        "conversation_type",
        sa.Column("code", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("retired", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("changed_at", AwareDateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("code BETWEEN 1 AND 999", name=op.f("ck_conversation_type_code_in_range")),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_conversation_type_name_not_blank")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_conversation_type")),
        sa.UniqueConstraint("name", name=op.f("uq_conversation_type_name")),
    )
    now = datetime.now(UTC)
    used = sa.union(
        sa.select(sa.column("conversation_type")).select_from(sa.table("offer")),
        sa.select(sa.column("conversation_type")).select_from(sa.table("conversation_variant")),
    )
    codes = {int(code) for (code,) in op.get_bind().execute(used)} - set(SEEDED)
    rows = [{"code": code, "name": name, "changed_at": now} for code, name in SEEDED.items()]
    rows += [{"code": code, "name": f"Samtaletype {code}", "changed_at": now} for code in sorted(codes)]
    op.bulk_insert(table, rows)
    with op.batch_alter_table("conversation_variant") as batch:
        batch.create_foreign_key(op.f(FOREIGN_KEY), "conversation_type", ["conversation_type"], ["code"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE CONSTRAINT TRIGGER offer_list_changed_conversation_type AFTER INSERT OR UPDATE OR DELETE ON "
            "conversation_type DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION offer_list_changed()"
        )
        op.execute(
            "CREATE TRIGGER offer_list_emptied_conversation_type AFTER TRUNCATE ON conversation_type "
            "FOR EACH STATEMENT EXECUTE FUNCTION offer_list_changed()"
        )
        return
    for change in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER offer_list_changed_conversation_type_{change.lower()} AFTER {change} "
            f"ON conversation_type BEGIN {BUMP}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER offer_list_changed_conversation_type ON conversation_type")
        op.execute("DROP TRIGGER offer_list_emptied_conversation_type ON conversation_type")
    else:
        for change in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER offer_list_changed_conversation_type_{change}")
    with op.batch_alter_table("conversation_variant") as batch:
        batch.drop_constraint(op.f(FOREIGN_KEY), type_="foreignkey")
    op.drop_table("conversation_type")
