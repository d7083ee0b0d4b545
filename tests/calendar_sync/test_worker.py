"""The real Celery worker on RabbitMQ: its event-consumer bootstep takes events from the
service's queue, the tasks run from the task queue, and the result reaches the outbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from services.calendar_sync import runtime
from services.calendar_sync.celery_app import app as module_app
from services.calendar_sync.celery_app import make_celery
from services.calendar_sync.models import OutboxMessage
from services.demo.embedded_radicale import RadicaleServer
from shared import events as ev
from shared.config import Settings
from shared.messaging import Publisher
from shared.service import ServiceContext
from shared.timeutil import utcnow
from tests.calendar_sync.conftest import LOOPBACK, USERS
from tests.calendar_sync.factories import (
    CPH,
    advisor_changed,
    at,
    event_ics,
    new_id,
    offer_published,
    working_day_ahead,
)
from tests.conftest import eventually, make_settings


@pytest.fixture
def amqp_settings(sync_url: str, secret_keys: str, rabbitmq_url: str, unique_exchange: str) -> Settings:
    return make_settings(
        calendar_sync_database_url=sync_url,
        broker_url=rabbitmq_url,
        events_exchange=unique_exchange,
        task_queue=f"{unique_exchange}.tasks",
        secret_keys=secret_keys,
        caldav_timeout_seconds=5,
        availability_horizon_days=30,
        calendar_hosts_allowed=LOOPBACK,
    )


@pytest.fixture
def worker_app(amqp_settings: Settings) -> Iterator[Celery]:
    app = make_celery(amqp_settings)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20, loglevel="WARNING"):
            yield app
    finally:
        runtime.close_contexts()
        module_app.set_current()  # start_worker made the test app the default one
        module_app.set_default()


def test_the_worker_consumes_events_and_publishes_availability(
    amqp_settings: Settings, worker_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    context: ServiceContext = runtime.get_context(amqp_settings)
    today = utcnow().astimezone(CPH).date()
    day = working_day_ahead(today)
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("busy", at(day, 10), at(day, 11)))
    advisor_id, offer_id = new_id(), new_id()
    publisher = Publisher(amqp_settings.broker_url, amqp_settings.events_exchange)
    try:
        publisher.publish(advisor_changed(advisor_id, caldav_url=url, secret_keys=amqp_settings.secret_keys))
        publisher.publish(offer_published(offer_id, [advisor_id], first_meeting_date=today, opens_on=today))
    finally:
        publisher.close()

    def published_with_slots() -> dict[str, Any] | None:
        with context.db.transaction() as session:
            rows = session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.event_type == ev.AVAILABILITY_COMPUTED, OutboxMessage.published_at.is_not(None)
                )
            ).all()
        payloads = [json.loads(row.body)["payload"] for row in rows]
        return next((p for p in payloads if p["slots"] and not p["withheld_advisor_ids"]), None)

    payload = eventually(published_with_slots)
    local = {
        s["start"] for s in payload["slots"] if s["advisor_id"] == advisor_id and s["start"].startswith(day.isoformat())
    }
    assert at(day, 9).isoformat() in local and at(day, 10).isoformat() not in local

    def published_free_time() -> dict[str, Any] | None:
        with context.db.transaction() as session:
            rows = session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.event_type == ev.ADVISOR_FREE_TIME_CHANGED, OutboxMessage.published_at.is_not(None)
                )
            ).all()
        payloads = [json.loads(row.body)["payload"] for row in rows]
        return next((p for p in payloads if p["advisor_id"] == advisor_id and p["free"]), None)

    free = eventually(published_free_time)  # for staff placing group meetings (O-12)
    on_day = [(span["start"], span["end"]) for span in free["free"] if span["start"].startswith(day.isoformat())]
    assert on_day[:2] == [
        (at(day, 8).isoformat(), at(day, 10).isoformat()),
        (at(day, 11).isoformat(), at(day, 12).isoformat()),
    ]
