"""Replicas that start at once may all run ``planner migrate``: the upgrades take turns on
an advisory lock (shared.migrations.run_env) and leave one schema at head.

The overlap is forced: a third connection holds the migration's advisory lock while both
upgrades start, PostgreSQL's ``pg_locks`` shows both waiting for it, then it is released.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, text

import shared.migrations
from services.booking.db import MIGRATIONS, migrate
from shared.db import make_engine
from shared.migrations import alembic_config

VERSION_TABLE = "alembic_version_booking"
LOCK_KEY = zlib.crc32(VERSION_TABLE.encode())
WAIT = 120.0  # seconds; only a safety net (two interpreters start on a busy machine)
MIGRATE = "import sys; from services.booking.db import migrate; migrate(sys.argv[1])"


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def _holding_the_migration_lock(url: str) -> Iterator[psycopg.Connection[Any]]:
    """A third session holding the advisory lock the booking migrations take, as a
    replica in the middle of its upgrade would; released when the block ends."""
    with psycopg.connect(_dsn(url), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            yield connection
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def _waiting_for_the_lock(holder: psycopg.Connection[Any]) -> int:
    """How many sessions wait for the migration's advisory lock in this database."""
    row = holder.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid::bigint = %s "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (LOCK_KEY,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def _schema(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the migrations built: columns, constraints, indexes and the version rows."""
    engine = make_engine(url)
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2",
        "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
        "versions": f"SELECT version_num FROM {VERSION_TABLE}",
    }
    try:
        with engine.connect() as connection:
            return {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in queries.items()}
    finally:
        engine.dispose()


def _head(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(MIGRATIONS, url)).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def reference_schema(create_database: Callable[[str], str]) -> dict[str, list[tuple[Any, ...]]]:
    """The schema one migration alone builds on an empty database."""
    url = create_database("migrate_ref")
    migrate(url)
    return _schema(url)


def test_two_migrations_started_at_once_both_succeed_and_leave_one_schema_at_head(
    create_database: Callable[[str], str], reference_schema: dict[str, list[tuple[Any, ...]]]
) -> None:
    url = create_database("migrate_race")
    with _holding_the_migration_lock(url) as holder:
        replicas = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        try:
            _until(
                lambda: _waiting_for_the_lock(holder) == 2 or any(p.poll() is not None for p in replicas),
                "both migrations wait for the lock",
            )
            both_waited = _waiting_for_the_lock(holder) == 2
        except BaseException:
            for replica in replicas:
                replica.kill()
            raise
    outcomes = [replica.communicate(timeout=WAIT) for replica in replicas]

    for replica, (_out, err) in zip(replicas, outcomes, strict=True):
        assert replica.returncode == 0, err
    schema = _schema(url)
    assert schema["versions"] == [(_head(url),)]
    assert schema == reference_schema
    assert both_waited, "the two migrations did not wait for each other on the advisory lock"


def test_a_replica_waits_for_a_long_migration_instead_of_giving_up_after_the_lock_timeout(
    create_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration may take longer than the lock timeout that keeps its DDL from queueing
    behind live traffic; a replica that waits for it meanwhile must not fail. The timeout
    is shortened to 200 ms here, and the other replica holds the lock five times that."""
    url = create_database("migrate_wait")
    shortened: list[str] = []

    def make_engine_with_short_lock_timeout(engine_url: str, **kwargs: Any) -> Engine:
        engine = make_engine(engine_url, **kwargs)

        @event.listens_for(engine, "before_cursor_execute", retval=True)
        def _shorten(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> Any:
            if statement.strip().lower().startswith("set lock_timeout"):
                shortened.append(statement)
                statement = "SET lock_timeout = '200ms'"
            return statement, parameters

        return engine

    monkeypatch.setattr(shared.migrations, "make_engine", make_engine_with_short_lock_timeout)
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            migrate(url)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    replica = threading.Thread(target=upgrade)
    with _holding_the_migration_lock(url) as holder:
        replica.start()

        def waited_five_timeouts() -> bool:
            row = holder.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND wait_event = 'advisory' "
                "AND clock_timestamp() - query_start > interval '1 second'"
            ).fetchone()
            return bool(row and row[0])

        _until(lambda: waited_five_timeouts() or not replica.is_alive(), "the replica waited a second")
        waited = replica.is_alive()
    replica.join(WAIT)

    assert not replica.is_alive()
    assert errors == []
    assert waited, "the migration did not wait for the other replica's lock"
    assert shortened, "the migration no longer sets a lock timeout for its DDL"
    assert _schema(url)["versions"] == [(_head(url),)]
