"""Alembic, run from code: each service keeps its own history and version table.

A service's ``migrations/env.py`` only calls ``run_env(metadata, version_table)``.
On PostgreSQL the upgrade holds an advisory lock (several replicas may start at once;
each waits for the one upgrading, however long it takes) and then sets a lock timeout,
so its DDL never queues behind live traffic for long.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text

from shared.db import make_engine


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, url), revision)


def downgrade(script_location: Path, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(script_location, url), revision)


def run_env(metadata: MetaData, version_table: str) -> None:
    """The body of every service's ``env.py``."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, version_table=version_table, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # wait for another replica's upgrade as long as it takes; only then limit how
                # long the DDL may queue behind live traffic (lock_timeout covers advisory locks too)
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": zlib.crc32(version_table.encode())})
                connection.execute(text("SET lock_timeout = '10s'"))
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=metadata,
                version_table=version_table,
                compare_type=True,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": zlib.crc32(version_table.encode())})
                connection.commit()
    finally:  # also after a failed migration: closing the connection releases the advisory lock
        engine.dispose()
