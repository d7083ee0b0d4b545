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
from sqlalchemy import select

from services.offers.consumer import handle
from services.offers.models import ProcessedEvent
from shared import events as ev
from shared.messaging import Publisher, run_consumer
from tests.child_processes import die_with_this_thread
from tests.conftest import eventually
from tests.offers.conftest import Api, build_app, empty_and_close

ROOT = Path(__file__).resolve().parents[2]


def test_reports_published_to_rabbitmq_reach_staff_and_a_redelivery_changes_nothing(
    offers_database: str, secret_keys: str, rabbitmq_url: str, unique_exchange: str
) -> None:
    app: APIFlask = build_app(offers_database, secret_keys, broker_url=rabbitmq_url, events_exchange=unique_exchange)
    context = app.extensions["planner"]
    outcomes: list[tuple[str, bool]] = []  # (event id, applied?) in the order the consumer handled them

    def handle_and_note(envelope: ev.Envelope) -> None:
        outcomes.append((envelope.id, handle(context, envelope)))

    consumer = run_consumer(rabbitmq_url, unique_exchange, "offers", handle_and_note)
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
        booking, later_booking = str(uuid.uuid4()), str(uuid.uuid4())
        start = at.replace(minute=0, second=0) + timedelta(days=1)
        clash = ev.BookingConflictPayload(
            booking_id=booking, advisor_id=advisor, start=start, end=start + timedelta(minutes=30), resolved=False,
            detected_at=at,
        ).envelope(ev.BOOKING_CONFLICT_DETECTED)  # fmt: skip
        sentinel = ev.BookingConflictPayload(
            booking_id=later_booking, advisor_id=advisor, start=start + timedelta(hours=1),
            end=start + timedelta(hours=1, minutes=30), resolved=False, detected_at=at,
        ).envelope(ev.BOOKING_CONFLICT_DETECTED)  # fmt: skip
        report = health.envelope(ev.CALENDAR_HEALTH_CHANGED)
        client = app.test_client()

        def health_shown() -> dict[str, Any] | None:
            shown = client.get(f"/api/v1/advisors/{advisor}").get_json()["calendar_health"]
            return shown if shown["status"] != "unknown" else None

        def open_conflicts() -> list[str]:
            return sorted(c["booking_id"] for c in client.get("/api/v1/calendar-conflicts").get_json()["items"])

        publisher.publish(report)
        publisher.publish(clash)
        shown = eventually(health_shown, "the calendar health to arrive")
        assert shown["status"] == "error" and shown["last_error"] == "Kalenderserveren svarede ikke."
        assert eventually(open_conflicts, "the conflict to arrive") == [booking]

        publisher.publish(report)  # a redelivery of the health report ...
        publisher.publish(clash)  # ... and of the conflict
        publisher.publish(sentinel)  # behind them on the same queue: once it is handled, so were they
        eventually(lambda: sentinel.id in [i for i, _ in outcomes], "the event published after the redeliveries")

        assert outcomes == [
            (report.id, True),
            (clash.id, True),
            (report.id, False),
            (clash.id, False),
            (sentinel.id, True),
        ], "each redelivery is handled, and skipped"
        with context.db.transaction() as session:
            processed = sorted(session.scalars(select(ProcessedEvent.event_id)))
        assert processed == sorted([report.id, clash.id, sentinel.id]), "each event is recorded once"
        assert health_shown() == shown, "the advisor's calendar health is as the first delivery left it"
        [first, second] = client.get("/api/v1/calendar-conflicts").get_json()["items"]
        assert {first["booking_id"], second["booking_id"]} == {booking, later_booking}
        assert all(c["status"] == "open" and c["detected_at"] == at.isoformat() for c in (first, second))
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
    process = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, preexec_fn=die_with_this_thread())
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
