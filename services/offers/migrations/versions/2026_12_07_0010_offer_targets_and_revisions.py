"""The offer's target contact groups and its revision log (issue 13).

``offer_target_group`` holds the contact groups an offer's rules name with "lig med", so the
offer list can be filtered by them in SQL (V-2); it is filled here from the stored rules.
``offer_revision`` is the revision log (V-7): the database itself refuses to change or
delete its rows, so no code path and no staff member can edit the history.

Revision ID: offers_0010
Revises: offers_0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import AwareDateTime
from shared.eligibility.model import RuleType, targeted_values

revision: str = "offers_0010"
down_revision: str | None = "offers_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE offer_list_version SET version = version + 1 WHERE id = 1"
REFUSAL = "Revisionsloggen kan ikke ændres."


def upgrade() -> None:
    op.create_table(
        "offer_target_group",
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("contact_group", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offer.id"], name=op.f("fk_offer_target_group_offer_id_offer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("offer_id", "contact_group", name=op.f("pk_offer_target_group")),
    )
    op.create_index(op.f("ix_offer_target_group_contact_group"), "offer_target_group", ["contact_group"])
    op.create_table(
        "offer_revision",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("changed_at", AwareDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("field", sa.String(length=50), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["offer_id"], ["offer.id"], name=op.f("fk_offer_revision_offer_id_offer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_revision")),
    )
    op.create_index(op.f("ix_offer_revision_offer_id"), "offer_revision", ["offer_id"])
    bind = op.get_bind()
    offers = bind.execute(sa.text("SELECT id, rules FROM offer WHERE rules IS NOT NULL")).all()
    targets = sa.table("offer_target_group", sa.column("offer_id", sa.Uuid()), sa.column("contact_group"))
    rows = []
    for offer_id, rules in offers:
        parsed = json.loads(rules) if isinstance(rules, str) else rules
        rows += [
            {"offer_id": offer_id, "contact_group": group} for group in targeted_values(parsed, RuleType.CONTACT_GROUP)
        ]
    if rows:
        op.bulk_insert(targets, rows)
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE CONSTRAINT TRIGGER offer_list_changed_offer_target_group AFTER INSERT OR UPDATE OR DELETE "
            "ON offer_target_group DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION offer_list_changed()"
        )
        op.execute(
            "CREATE FUNCTION offer_revision_kept() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER offer_revision_kept BEFORE UPDATE OR DELETE ON offer_revision "
            "FOR EACH ROW EXECUTE FUNCTION offer_revision_kept()"
        )
        return
    for change in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER offer_list_changed_offer_target_group_{change.lower()} AFTER {change} "
            f"ON offer_target_group BEGIN {BUMP}; END"
        )
    for change in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER offer_revision_kept_{change.lower()} BEFORE {change} ON offer_revision "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER offer_revision_kept ON offer_revision")
        op.execute("DROP FUNCTION offer_revision_kept()")
        op.execute("DROP TRIGGER offer_list_changed_offer_target_group ON offer_target_group")
    else:
        for change in ("update", "delete"):
            op.execute(f"DROP TRIGGER offer_revision_kept_{change}")
        for change in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER offer_list_changed_offer_target_group_{change}")
    op.drop_index(op.f("ix_offer_revision_offer_id"), table_name="offer_revision")
    op.drop_table("offer_revision")
    op.drop_index(op.f("ix_offer_target_group_contact_group"), table_name="offer_target_group")
    op.drop_table("offer_target_group")
