"""Pooled PostgreSQL connections: one that lay idle is pinged before use and replaced when
the server dropped it; one in steady use is handed out without a ping (a round trip saved
on every request), so a drop under load fails once and the pool then recovers."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from shared.db import make_engine


@pytest.fixture
def url(create_database: Callable[[str], str]) -> str:
    return create_database("ping")


def backend_of(engine: Engine) -> int:
    """The server process behind the connection the pool hands out next."""
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


def terminate(admin_dsn: str, pid: int) -> None:
    """End the server process ``pid`` and wait until it is gone (PostgreSQL 14+)."""
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(url: str, postgres_admin_dsn: str) -> None:
    engine = make_engine(url, ping_after_idle=0.0, pool_size=1, max_overflow=0)
    first = backend_of(engine)
    terminate(postgres_admin_dsn, first)
    assert backend_of(engine) != first  # no error: the ping found it dead and the pool connected anew
    engine.dispose()


def test_a_busy_connection_is_not_pinged_and_the_pool_recovers_after_one_failure(
    url: str, postgres_admin_dsn: str
) -> None:
    engine = make_engine(url, ping_after_idle=3600.0, pool_size=1, max_overflow=0)
    first = backend_of(engine)
    terminate(postgres_admin_dsn, first)
    with pytest.raises(OperationalError):  # used a moment ago: handed out as it was
        backend_of(engine)
    assert backend_of(engine) != first  # the failure replaced it
    engine.dispose()
