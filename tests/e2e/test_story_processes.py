"""The whole system as IT runs it: offers and booking as HTTP server processes, the
booking consumer, a real Celery worker with beat, Radicale, PostgreSQL and RabbitMQ."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from services.demo.embedded_radicale import start_radicale
from services.demo.oidc_provider import start_oidc_provider
from tests.conftest import free_port
from tests.e2e.processes import ServiceProcesses, show_logs_on_failure, wait_healthy
from tests.e2e.story import Stack, walk
from tests.identities import IT_KEY, api_keys_setting

USERS = {"anne": "anne-secret", "bo": "bo-secret"}
AUDIENCE = "jobcenter-planner-e2e"
CITIZEN_CLIENT_ID = "planner-e2e-citizens"

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    create_database: Callable[[str], str],
    rabbitmq_url: str,
    unique_exchange: str,
    secret_keys: str,
) -> Iterator[Stack]:
    radicale = start_radicale(tmp_path / "radicale", USERS)
    provider = start_oidc_provider(access_token_audience=AUDIENCE)
    offers_port, booking_port = free_port(), free_port()
    env = {
        "PLANNER_OFFERS_DATABASE_URL": create_database("e2e_offers"),
        "PLANNER_BOOKING_DATABASE_URL": create_database("e2e_booking"),
        "PLANNER_CALENDAR_SYNC_DATABASE_URL": create_database("e2e_sync"),
        "PLANNER_BROKER_URL": rabbitmq_url,
        "PLANNER_EVENTS_EXCHANGE": unique_exchange,
        "PLANNER_TASK_QUEUE": f"{unique_exchange}.tasks",
        "PLANNER_SECRET_KEYS": secret_keys,
        "PLANNER_OUTBOX_POLL_SECONDS": "0.5",
        "PLANNER_SYNC_INTERVAL_SECONDS": "300",
        "PLANNER_CALENDAR_HOSTS_ALLOWED": urlsplit(radicale.url).netloc,  # this Radicale only
        "PLANNER_LOG_LEVEL": "INFO",
        "PLANNER_STATE_DIR": str(tmp_path / "state"),  # beat keeps its schedule file there
        "PLANNER_API_KEYS": api_keys_setting(IT_KEY),
        "PLANNER_CITIZEN_OIDC_ISSUER": provider.issuer,
        "PLANNER_CITIZEN_OIDC_CLIENT_ID": CITIZEN_CLIENT_ID,
        "PLANNER_CITIZEN_OIDC_CLIENT_SECRET": "e2e-secret",
        "PLANNER_TOKEN_AUDIENCE": AUDIENCE,
        # The provider is the demo's (plain http on loopback), which only the demo may use.
        "PLANNER_DEMO": "true",
        "PLANNER_COOKIE_SECURE": "false",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = ServiceProcesses(logs, env)
    show_logs_on_failure(request, procs.logs)  # a failure in setup, the story or teardown shows them
    try:
        procs.run("migrate", "all")
        procs.start("offers", "offers", "serve", "--port", str(offers_port))
        procs.start("booking", "booking", "serve", "--port", str(booking_port))
        procs.start("booking-consumer", "booking", "consume")
        procs.start("offers-consumer", "offers", "consume")
        procs.start("worker", "worker", "--beat", "--concurrency", "2")
        offers_url, booking_url = f"http://127.0.0.1:{offers_port}", f"http://127.0.0.1:{booking_port}"
        wait_healthy(offers_url, procs)
        wait_healthy(booking_url, procs)
        yield Stack(
            offers_url,
            booking_url,
            radicale,
            USERS,
            identity_provider=provider,
            citizen_client_id=CITIZEN_CLIENT_ID,
            staff_key=IT_KEY.key,
            logs=procs.full_logs,
            assert_running=procs.assert_running,
        )
    finally:
        procs.stop()
        radicale.stop()
        provider.stop()


def test_story_across_processes_on_postgresql_rabbitmq_and_radicale(stack: Stack) -> None:
    walk(stack, concurrent_requests=20)
