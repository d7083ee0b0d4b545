"""The calendar-sync migrations build exactly the tables the models describe, and their
downgrade takes away everything they built."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from services.calendar_sync.db import MIGRATIONS, VERSION_TABLE
from services.calendar_sync.models import Base
from shared.migrations import alembic_config, downgrade, upgrade
from tests.schema import schema_objects, version_table_objects


def test_models_match_the_migrations_on_postgresql(sync_url: str) -> None:
    engine = create_engine(sync_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_one_head_and_a_downgrade_that_leaves_the_database_as_it_was(create_database: Callable[[str], str]) -> None:
    url = create_database("sync_downgrade")
    assert len(ScriptDirectory.from_config(alembic_config(MIGRATIONS, url)).get_heads()) == 1
    before = schema_objects(url)
    upgrade(MIGRATIONS, url)
    built = schema_objects(url) - before
    assert {f"relation(r) public.{name}" for name in Base.metadata.tables} < built

    downgrade(MIGRATIONS, url)

    kept, revisions = version_table_objects(url, VERSION_TABLE)
    assert schema_objects(url) == before | kept, "no table, index, sequence, type or routine is left behind"
    assert revisions == []
    upgrade(MIGRATIONS, url)  # and it comes back whole
    assert schema_objects(url) - before == built


def test_the_migrations_run_on_sqlite_for_the_demo(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'calendar_sync.db'}"
    upgrade(MIGRATIONS, url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
