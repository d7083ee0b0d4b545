"""Fixtures for real PostgreSQL, RabbitMQ and settings isolated per test.

Tests that need PostgreSQL or RabbitMQ skip when those are missing, unless
``PLANNER_REQUIRE_SERVICES=1`` (as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from kombu import Connection

from shared.config import Settings
from shared.messaging import SUBSCRIPTIONS
from tests.identities import IT_KEY, api_keys_setting

PG_ADMIN_DSN = os.environ.get("PLANNER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_BROKER_URL = os.environ.get("PLANNER_TEST_BROKER", "amqp://guest:guest@127.0.0.1:5672//")


def services_required() -> bool:
    return os.environ.get("PLANNER_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def _missing(what: str, exc: Exception) -> None:
    message = f"{what} is not reachable: {exc}"
    if services_required():
        pytest.fail(message + " (PLANNER_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_admin_dsn() -> str:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            pass
    except Exception as exc:  # noqa: BLE001
        _missing("PostgreSQL", exc)
    return PG_ADMIN_DSN


@pytest.fixture(scope="session")
def create_database(postgres_admin_dsn: str) -> Iterator[Callable[[str], str]]:
    """Factory: a new empty PostgreSQL database; returns its SQLAlchemy URL.

    Every database made here is dropped at the end of the test session.
    """
    made: list[str] = []

    def make(prefix: str) -> str:
        name = f"pt_{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(postgres_admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        base = postgres_admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base}/{name}"

    yield make
    with psycopg.connect(postgres_admin_dsn, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    try:
        with Connection(TEST_BROKER_URL, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001
        _missing("RabbitMQ", exc)
    return TEST_BROKER_URL


@pytest.fixture
def unique_exchange(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh events exchange name; its queues are deleted after the test."""
    name = f"planner.test.{uuid.uuid4().hex[:10]}"
    yield name
    try:
        with Connection(TEST_BROKER_URL, connect_timeout=3) as conn:
            channel = conn.channel()
            for service in SUBSCRIPTIONS:
                try:
                    channel.queue_delete(f"{name}.{service}")
                except Exception:  # noqa: BLE001
                    channel = conn.channel()
            for queue in (f"{name}.tasks",):
                try:
                    channel.queue_delete(queue)
                except Exception:  # noqa: BLE001
                    channel = conn.channel()
            for exchange in (name, f"{name}.tasks"):  # Celery declares an exchange for its task queue
                try:
                    channel.exchange_delete(exchange)
                except Exception:  # noqa: BLE001
                    channel = conn.channel()
    except Exception:  # noqa: BLE001 - broker gone; nothing to clean
        pass


@pytest.fixture
def secret_keys() -> str:
    return Fernet.generate_key().decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


TEST_CPR_KEYS = Fernet.generate_key().decode()
"""``PLANNER_CPR_KEYS`` of every test's settings unless it gives its own: new for each test run."""


def make_settings(**overrides: object) -> Settings:
    """Settings for a test, never read from the developer's environment; IT's API key
    (``tests.identities.IT_KEY``) is admitted unless ``api_keys`` is given, and the CPR
    numbers are sealed with ``TEST_CPR_KEYS`` unless ``cpr_keys`` is given."""
    overrides.setdefault("api_keys", api_keys_setting(IT_KEY))
    overrides.setdefault("cpr_keys", TEST_CPR_KEYS)
    return Settings.model_validate(overrides)


def eventually(
    check: Callable[[], Any],
    what: str = "condition",
    timeout: float = 60.0,
    *,
    on_tick: Callable[[], None] | None = None,
) -> Any:
    """Poll ``check`` until it returns something truthy, and return that.

    Only for eventual consistency across threads or processes (events crossing the
    broker); never to wait out a race. ``on_tick`` runs before each try (e.g. to fail
    fast when a service process has died).
    """
    deadline = time.monotonic() + timeout
    while True:
        if on_tick is not None:
            on_tick()
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that drives Chromium (it uses Playwright's ``page``) as ``browser``."""
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
