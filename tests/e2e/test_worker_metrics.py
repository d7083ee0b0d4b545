"""The calendar worker's metrics port, as IT's Prometheus sees it: ``planner worker`` with two
pool processes on RabbitMQ and PostgreSQL serves /metrics to a monitor key only, with each
advisor's calendar age and the calendar reads that failed in its pool processes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from kombu import Connection

from services.calendar_sync import runtime
from services.calendar_sync.consumer import SYNC_ADVISOR, apply_advisor_changed
from services.calendar_sync.db import migrate
from services.calendar_sync.models import OutboxMessage
from shared.auth.api_keys import create_api_key
from shared.auth.grants import parse_grants
from shared.service import build_context
from tests.booking.test_health_and_metrics import sample
from tests.calendar_sync.factories import advisor_changed, new_id
from tests.conftest import TEST_CPR_KEYS, eventually, free_port, make_settings
from tests.e2e.processes import ServiceProcesses, show_logs_on_failure
from tests.identities import IT_KEY, api_keys_setting, bearer

pytestmark = pytest.mark.e2e

MONITOR = create_api_key("prometheus", parse_grants(["monitor:*"]))


@pytest.fixture
def task_queue(rabbitmq_url: str) -> Iterator[str]:
    name = f"planner.test.{uuid.uuid4().hex[:10]}.tasks"
    yield name
    with Connection(rabbitmq_url, connect_timeout=3) as connection:
        connection.channel().queue_delete(name)


def test_the_workers_metrics_port(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    create_database: Callable[[str], str],
    rabbitmq_url: str,
    unique_exchange: str,
    task_queue: str,
    secret_keys: str,
) -> None:
    url = create_database("worker_metrics")
    migrate(url)
    port = free_port()
    values = {
        "calendar_sync_database_url": url, "broker_url": rabbitmq_url, "events_exchange": unique_exchange,
        "task_queue": task_queue, "secret_keys": secret_keys,
    }  # fmt: skip
    settings = make_settings(**values)
    context = build_context(settings, settings.calendar_sync_database_url, OutboxMessage)
    advisor = new_id()  # an advisor whose calendar server does not answer
    account = "konto-7731"
    envelope = advisor_changed(advisor, caldav_url=f"http://127.0.0.1:1/{account}/", username=account, password="x",
                               secret_keys=secret_keys)  # fmt: skip
    with context.db.transaction() as session:
        apply_advisor_changed(session, envelope)
    context.close()

    env = {f"PLANNER_{k.upper()}": str(v) for k, v in values.items()} | {
        "PLANNER_API_KEYS": api_keys_setting(IT_KEY, MONITOR),
        "PLANNER_WORKER_METRICS_PORT": str(port),
        "PLANNER_STATE_DIR": str(tmp_path / "state"),
        "PLANNER_CALENDAR_HOSTS_ALLOWED": "127.0.0.1",
    }
    procs = ServiceProcesses(tmp_path, env)
    show_logs_on_failure(request, procs.logs)
    base = f"http://127.0.0.1:{port}/metrics"
    try:
        procs.start("worker", "worker", "--concurrency", "2")

        def scrape() -> str | None:
            try:
                answer = requests.get(base, headers=bearer(MONITOR), timeout=5)
            except requests.ConnectionError:
                return None
            return answer.text if answer.status_code == 200 else None

        eventually(scrape, "the worker's metrics port", 60, on_tick=procs.assert_running)
        assert requests.get(base, timeout=5).status_code == 401
        assert requests.get(base, headers=bearer(IT_KEY), timeout=5).status_code == 403
        for _ in range(3):  # three syncs, in whichever pool process takes each
            runtime.enqueue(settings, SYNC_ADVISOR, advisor, True)
        text = eventually(
            lambda: (t := scrape()) is not None and sample(t, "planner_caldav_errors_total") >= 3 and t,
            "the failed reads counted", 60, on_tick=procs.assert_running,
        )  # fmt: skip
    finally:
        procs.stop()
    assert sample(text, "planner_calendar_age_seconds", advisor_id=advisor) >= 0
    assert re.search(rf'planner_calendar_age_seconds\{{advisor_id="{advisor}"\}}', text)
    assert account not in text and "127.0.0.1:1" not in text  # no account, no address


def test_a_consumers_metrics_port(
    request: pytest.FixtureRequest, tmp_path: Path, create_database: Callable[[str], str], secret_keys: str
) -> None:
    from services.booking.db import migrate as migrate_booking

    url = create_database("consumer_metrics")
    migrate_booking(url)
    port = free_port()
    env = {
        "PLANNER_BOOKING_DATABASE_URL": url, "PLANNER_BROKER_URL": "memory://", "PLANNER_CPR_KEYS": TEST_CPR_KEYS,
        "PLANNER_API_KEYS": api_keys_setting(MONITOR),
    }  # fmt: skip
    procs = ServiceProcesses(tmp_path, env)
    show_logs_on_failure(request, procs.logs)
    base = f"http://127.0.0.1:{port}/metrics"
    try:
        procs.start("consumer", "booking", "consume", "--metrics-port", str(port))

        def scrape() -> requests.Response | None:
            try:
                return requests.get(base, headers=bearer(MONITOR), timeout=5)
            except requests.ConnectionError:
                return None

        answer = eventually(scrape, "the consumer's metrics port", 60, on_tick=procs.assert_running)
        assert answer.status_code == 200 and "planner_outbox_oldest_unsent_seconds 0.0" in answer.text
        assert requests.get(base, timeout=5).status_code == 401
    finally:
        procs.stop()
