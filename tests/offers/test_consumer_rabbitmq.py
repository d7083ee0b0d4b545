"""The offers consumer over real RabbitMQ: the worker's reports published to the events
exchange reach the offers queue and show on the advisor and in the conflict list."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apiflask import APIFlask

from services.offers.consumer import handle
from shared import events as ev
from shared.messaging import Publisher, run_consumer
from tests.conftest import eventually
from tests.offers.conftest import Api, build_app, empty_and_close

ROOT = Path(__file__).resolve().parents[2]


def test_reports_published_to_rabbitmq_reach_staff(
    offers_database: str, secret_keys: str, rabbitmq_url: str, unique_exchange: str
) -> None:
    app: APIFlask = build_app(offers_database, secret_keys, broker_url=rabbitmq_url, events_exchange=unique_exchange)
    context = app.extensions["planner"]
    consumer = run_consumer(rabbitmq_url, unique_exchange, "offers", lambda e: handle(context, e))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    publisher = Publisher(rabbitmq_url, unique_exchange)
    try:
        assert consumer.ready.wait(10)
        api = Api(app.test_client())
        centre = api.centre()
        advisor = api.advisor(centre, api.team(centre))["id"]
        at = datetime.now(UTC).replace(microsecond=0)
        health = ev.CalendarHealthPayload(
            advisor_id=advisor,
            last_attempt_at=at,
            last_success_at=at - timedelta(minutes=10),
            last_error="Kalenderserveren svarede ikke.",
            stale=False,
            changed_at=at,
        )
        booking = str(uuid.uuid4())
        start = at.replace(minute=0, second=0) + timedelta(days=1)
        clash = ev.BookingConflictPayload(
            booking_id=booking, advisor_id=advisor, start=start, end=start + timedelta(minutes=30), resolved=False,
            detected_at=at,
        )  # fmt: skip
        envelope = health.envelope(ev.CALENDAR_HEALTH_CHANGED)
        publisher.publish(envelope)
        publisher.publish(envelope)  # a redelivery
        publisher.publish(clash.envelope(ev.BOOKING_CONFLICT_DETECTED))
        client = app.test_client()

        def health_shown() -> dict[str, Any] | None:
            shown = client.get(f"/api/v1/advisors/{advisor}").get_json()["calendar_health"]
            return shown if shown["status"] != "unknown" else None

        shown = eventually(health_shown, "the calendar health to arrive")
        assert shown["status"] == "error" and shown["last_error"] == "Kalenderserveren svarede ikke."
        [listed] = eventually(
            lambda: client.get("/api/v1/calendar-conflicts").get_json()["items"], "the conflict to arrive"
        )
        assert listed["booking_id"] == booking and listed["status"] == "open"
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)
        publisher.close()
        empty_and_close(app)
    assert not thread.is_alive()


def test_the_consumer_process_applies_reports_and_stops_on_sigterm(
    offers_database: str, secret_keys: str, rabbitmq_url: str, unique_exchange: str
) -> None:
    app: APIFlask = build_app(offers_database, secret_keys)
    env = {
        **os.environ,
        "PLANNER_OFFERS_DATABASE_URL": offers_database,
        "PLANNER_BROKER_URL": rabbitmq_url,
        "PLANNER_EVENTS_EXCHANGE": unique_exchange,
        "PLANNER_SECRET_KEYS": secret_keys,
    }
    code = "from services.offers.runner import run_consumer_forever; from shared.config import Settings; " + (
        "run_consumer_forever(Settings())"
    )
    process = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
    publisher = Publisher(rabbitmq_url, unique_exchange)
    try:
        api = Api(app.test_client())
        centre = api.centre()
        advisor = api.advisor(centre, api.team(centre))["id"]
        at = datetime.now(UTC).replace(microsecond=0)
        report = ev.CalendarHealthPayload(
            advisor_id=advisor, last_attempt_at=at, last_success_at=at, last_error=None, stale=False, changed_at=at
        )
        publisher.publish(report.envelope(ev.CALENDAR_HEALTH_CHANGED))  # waits in the queue until the process runs
        client = app.test_client()
        eventually(
            lambda: client.get(f"/api/v1/advisors/{advisor}").get_json()["calendar_health"]["status"] == "ok",
            "the consumer process to apply the report",
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        publisher.close()
        empty_and_close(app)
