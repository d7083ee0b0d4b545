"""Booking over real RabbitMQ: events from the other services reach the read models, and
``booking.created`` reaches the calendar-sync worker's queue, without a CPR number."""

from __future__ import annotations

import threading
from typing import Any

from kombu import Connection

from services.booking.app import create_app
from services.booking.consumer import handle
from shared import events as ev
from shared.messaging import Publisher, run_consumer, service_queue
from tests.booking.conftest import TODAY, TOMORROW, Clock, at, citizen_profile, fictitious_cpr, offer_payload
from tests.conftest import eventually, make_settings
from tests.identities import ItClient


def test_events_in_and_booking_created_out(booking_pg_url: str, rabbitmq_url: str, unique_exchange: str) -> None:
    settings = make_settings(
        booking_database_url=booking_pg_url, broker_url=rabbitmq_url, events_exchange=unique_exchange
    )
    # The relay is run by hand: RelayThread cannot be joined on Python 3.11 yet (its ``_stop``
    # attribute hides Thread._stop; reported to the lead).
    app = create_app(settings, clock=Clock(at(TODAY, 9)))
    app.test_client_class = ItClient
    context = app.extensions["planner"]
    consumer = run_consumer(rabbitmq_url, unique_exchange, "booking", lambda e: handle(context, e))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    publisher = Publisher(rabbitmq_url, unique_exchange)
    try:
        assert consumer.ready.wait(10)
        offer = offer_payload()
        advisor = offer.advisor_ids[0]
        slots = ev.AvailabilityPayload(
            offer_id=offer.offer_id,
            computed_at=at(TODAY, 8),
            window_start=at(TOMORROW, 0),
            window_end=at(TOMORROW, 23),
            slots=[ev.BookableSlot(advisor_id=advisor, start=at(TOMORROW, 9))],
        )
        publisher.publish(offer.envelope(ev.OFFER_PUBLISHED))
        publisher.publish(slots.envelope(ev.AVAILABILITY_COMPUTED))
        client = app.test_client()
        assert client.post("/api/v1/citizens", json=[citizen_profile(3)]).status_code == 200

        def listed() -> list[dict[str, Any]]:
            response = client.get(f"/api/v1/offers/{offer.offer_id}/times")
            return list(response.get_json()["times"]) if response.status_code == 200 else []

        [time_] = eventually(listed, "the offer and its times to arrive")
        body = {"offer_id": offer.offer_id, "advisor_id": advisor, "start": time_["start"]}
        response = client.post("/api/v1/bookings", json={**body, "citizen": {"cpr": fictitious_cpr(3)}})
        assert response.status_code == 201
        booking_id = response.get_json()["id"]
        assert context.relay.relay_pending() == 1

        with Connection(rabbitmq_url) as connection:
            queue = service_queue("calendar_sync", unique_exchange)(connection.default_channel)

            def created() -> str | None:
                while (message := queue.get(no_ack=True)) is not None:
                    if message.delivery_info["routing_key"] == ev.BOOKING_CREATED:
                        body = message.body
                        return body if isinstance(body, str) else body.decode()
                return None

            text = eventually(created, "booking.created in the calendar-sync queue")
            assert fictitious_cpr(3) not in text and "cpr" not in text.lower()
            envelope = ev.Envelope.from_json(text)
            assert envelope.type == ev.BOOKING_CREATED and envelope.payload["booking_id"] == booking_id
        assert context.relay.pending_count() == 0
    finally:
        consumer.should_stop = True
        thread.join(timeout=10)
        publisher.close()
        context.close()
