"""The calendar-sync migrations build exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from services.calendar_sync.db import MIGRATIONS, VERSION_TABLE
from services.calendar_sync.models import Base
from shared.migrations import alembic_config, downgrade, upgrade


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


def test_one_head_and_a_clean_downgrade(sync_url: str) -> None:
    assert len(ScriptDirectory.from_config(alembic_config(MIGRATIONS, sync_url)).get_heads()) == 1
    downgrade(MIGRATIONS, sync_url)
    upgrade(MIGRATIONS, sync_url)


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
