"""Fixtures of the calendar-sync tests: a real Radicale server, a migrated PostgreSQL
database per test, settings with the in-memory broker and Celery in eager mode."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from celery import Celery

from services.calendar_sync import runtime
from services.calendar_sync.celery_app import make_celery
from services.calendar_sync.db import migrate
from services.demo.embedded_radicale import RadicaleServer, start_radicale
from shared.config import Settings
from shared.service import ServiceContext
from tests.conftest import make_settings

USERS = {"anne": "anne-secret", "bo": "bo-secret"}
LOOPBACK = "127.0.0.1"
"""The allow-list of these tests: Radicale, Xandikos and the proxies all listen on 127.0.0.1."""


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    server = start_radicale(tmp_path_factory.mktemp("radicale"), USERS)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def new_calendar(radicale: RadicaleServer) -> Callable[[str], str]:
    """Factory: a fresh, empty calendar of ``user``; returns its URL."""

    def make(user: str = "anne") -> str:
        return radicale.create_calendar(user, USERS[user], f"test-{uuid.uuid4().hex[:10]}")

    return make


@pytest.fixture
def sync_url(create_database: Callable[[str], str]) -> str:
    url = create_database("sync")
    migrate(url)
    return url


@pytest.fixture
def settings(sync_url: str, secret_keys: str) -> Settings:
    name = f"planner.test.{uuid.uuid4().hex[:10]}"
    return make_settings(
        calendar_sync_database_url=sync_url,
        broker_url="memory://",
        events_exchange=name,
        task_queue=f"{name}.tasks",
        secret_keys=secret_keys,
        celery_eager=True,
        caldav_timeout_seconds=5,
        availability_horizon_days=30,
        calendar_hosts_allowed=LOOPBACK,
    )


@pytest.fixture
def context(settings: Settings) -> Iterator[ServiceContext]:
    """The worker's context for these settings (the same one its tasks use)."""
    try:
        yield runtime.get_context(settings)
    finally:
        runtime.close_contexts()


@pytest.fixture
def celery_app(settings: Settings, context: ServiceContext) -> Celery:
    """The worker's Celery app in eager mode (as the demo runs it); ``result.get()`` raises
    a task's error. Made before anything sends a task, so ``runtime.enqueue`` uses it."""
    return make_celery(settings)
