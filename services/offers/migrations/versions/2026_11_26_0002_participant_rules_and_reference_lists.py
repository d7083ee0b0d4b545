"""Participant rules on offers (R-1 to R-5), reference lists as data (A-5), regions of job
centres (R-4) and the CPR access log.

Revision ID: offers_0002
Revises: offers_0001
Create Date: 2026-11-26

The seed is copied here (as it stood in shared.eligibility.reference when this revision was
written), so the migration always produces the same rows; after it, the lists belong to the
administrator. Existing offers get no rules: they stay hidden from citizens until staff add
rules. Runs on PostgreSQL and SQLite (columns are added nullable or with a server default).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0002"
down_revision: str | None = "offers_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED_VALUES: dict[str, list[str]] = {
    "contact_groups": [
        "Dagpengemodtager",
        "Fleksjobansat",
        "Fleksjobvisiteret",
        "For-revalidering",
        "Integrationsydelsesmodtager",
        "Integrationsydelsesmodtager med uddannelsespålæg",
        "Integrationsydelsesmodtager omfattet af integrationsprogrammet",
        "Jobafklaring",
        "Kontanthjælpsmodtager",
        "Kontanthjælpsmodtager omfattet af integrationsprogrammet",
        "Modtager af uddannelseshjælp",
        "Rehabilitand",
        "Revalidering",
        "Sygedagpengemodtager",
        "Sygedagpengemodtager fra beskæftigelse",
        "Sygedagpengemodtager fra ledighed",
        "Uden ydelse",
    ],
    "assessment_groups": [
        "Aktivitetsparat",
        "Ikke visiteret",
        "Jobparat",
        "Uddannelsesparat",
        "Åbenlyst uddannelsesparat",
    ],
    "sick_pay_categories": ["1", "2", "3"],
    "other_actors": [],
    "unemployment_funds": [
        "3F A-kasse",
        "Akademikernes A-kasse",
        "ASE",
        "BUPL A-kasse",
        "CA A-kasse",
        "Dana A-kasse",
        "Det Faglige Hus A-kasse",
        "DSA - Din Sundhedsfaglige A-kasse",
        "El-fagets A-kasse",
        "FOA A-kasse",
        "Frie A-kasse",
        "FTF A-kasse",
        "Fødevareforbundet NNF's A-kasse",
        "HK Danmarks A-kasse",
        "Journalistik, Kommunikation og Sprog A-kasse",
        "Krifa A-kasse",
        "Ledernes A-kasse",
        "Lærernes A-kasse",
        "Magistrenes A-kasse",
        "Metal A-kasse",
        "Min A-kasse",
        "Socialpædagogernes A-kasse",
        "Teknikernes A-kasse",
    ],
    "regions": ["AMK Øst", "AMK Syd", "AMK Midt-Nord"],
}
SEED_ALIASES = [("contact_groups", "Rehabilient", "Rehabilitand")]
SEED_MARKERS = [
    ("STAT-FLERE-SKAL-MED", "Flere skal med", "state", None),
    ("STAT-SENIOR", "Særlig indsats for ledige seniorer", "state", None),
    ("STAT-UNGE", "Særlig indsats for unge under 30 år", "state", None),
]


def upgrade() -> None:
    op.add_column("job_centre", sa.Column("region", sa.String(length=200), nullable=True))
    op.add_column("offer", sa.Column("rules", sa.JSON(), nullable=True))
    op.add_column("offer", sa.Column("marker_routes", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))

    values = op.create_table(
        "reference_value",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_reference_value")),
    )
    aliases = op.create_table(
        "reference_alias",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["kind", "target"],
            ["reference_value.kind", "reference_value.value"],
            name=op.f("fk_reference_alias_kind_reference_value"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kind", "alias", name=op.f("pk_reference_alias")),
    )
    markers = op.create_table(
        "person_group_marker",
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "level IN ('state', 'region', 'job_centre')", name=op.f("ck_person_group_marker_level_known")
        ),
        sa.CheckConstraint(
            "(level = 'state') = (owner IS NULL)", name=op.f("ck_person_group_marker_owner_matches_level")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_person_group_marker")),
    )
    op.create_table(
        "cpr_access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("subject_cpr", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpr_access_log")),
    )
    op.create_index(op.f("ix_cpr_access_log_at"), "cpr_access_log", ["at"], unique=False)
    op.create_index(op.f("ix_cpr_access_log_subject_cpr"), "cpr_access_log", ["subject_cpr"], unique=False)

    op.bulk_insert(
        values,
        [
            {"kind": kind, "value": value, "position": position}
            for kind, listed in SEED_VALUES.items()
            for position, value in enumerate(listed)
        ],
    )
    op.bulk_insert(aliases, [{"kind": kind, "alias": alias, "target": target} for kind, alias, target in SEED_ALIASES])
    op.bulk_insert(
        markers,
        [
            {"code": code, "name": name, "level": level, "owner": owner, "position": position}
            for position, (code, name, level, owner) in enumerate(SEED_MARKERS)
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_cpr_access_log_subject_cpr"), table_name="cpr_access_log")
    op.drop_index(op.f("ix_cpr_access_log_at"), table_name="cpr_access_log")
    op.drop_table("cpr_access_log")
    op.drop_table("person_group_marker")
    op.drop_table("reference_alias")
    op.drop_table("reference_value")
    with op.batch_alter_table("offer") as batch:
        batch.drop_column("marker_routes")
        batch.drop_column("rules")
    with op.batch_alter_table("job_centre") as batch:
        batch.drop_column("region")
