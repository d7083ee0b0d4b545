"""What a PostgreSQL database holds, to compare a schema before an upgrade and after
its downgrade (the migration tests of every service use it)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

SCHEMA_OBJECTS = r"""
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema')
      AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'
)
SELECT 'schema ' || nspname FROM ns
UNION ALL SELECT 'extension ' || extname FROM pg_extension
UNION ALL SELECT 'relation(' || c.relkind::text || ') ' || ns.nspname || '.' || c.relname
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
UNION ALL SELECT 'type(' || t.typtype::text || ') ' || ns.nspname || '.' || t.typname
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace LEFT JOIN pg_class r ON r.oid = t.typrelid
    WHERE t.typcategory <> 'A' AND (t.typrelid = 0 OR r.relkind = 'c')
UNION ALL SELECT 'routine ' || ns.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
"""
"""Every schema, extension, relation (table, index, sequence, view), type that is not a
table's row type or an array (enum, domain, range, composite, base) and routine outside
PostgreSQL's own schemas, one ``"kind schema.name"`` line each."""


def schema_objects(url: str) -> set[str]:
    """What the PostgreSQL database at ``url`` holds besides the system catalogue (see
    ``SCHEMA_OBJECTS``): compare before an upgrade and after the downgrade."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(text(SCHEMA_OBJECTS)).scalars())
    finally:
        engine.dispose()


def version_table_objects(url: str, version_table: str) -> tuple[set[str], list[str]]:
    """What Alembic keeps after a downgrade to base (its version table and that table's
    primary key index), and the revisions the table still names (none after a full downgrade)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            index = connection.execute(
                text("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = CAST(:t AS regclass)"),
                {"t": version_table},
            ).scalar_one()
            revisions = list(connection.execute(text(f"SELECT version_num FROM {version_table}")).scalars())
    finally:
        engine.dispose()
    return {f"relation(r) public.{version_table}", f"relation(i) public.{index}"}, revisions
