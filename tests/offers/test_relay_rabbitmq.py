"""The outbox relay delivers the offers service's events to RabbitMQ with publisher
confirms, into the queues of booking and calendar_sync; while the broker is unreachable
the events wait in the outbox, and go out once it answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from apiflask import APIFlask
from kombu import Connection
from sqlalchemy import select

from services.offers.models import OutboxMessage
from shared import events as ev
from shared.events import Envelope
from shared.messaging import Publisher, service_queue
from shared.outbox import OutboxRelay
from shared.service import ServiceContext
from tests.conftest import free_port
from tests.offers.conftest import Api, build_app, empty_and_close


def received(broker_url: str, exchange: str, service: str, count: int) -> list[tuple[Envelope, Any]]:
    """Take ``count`` messages from ``service``'s queue (waiting up to 10 s for each), then
    check that no more are waiting."""
    result = []
    with Connection(broker_url) as connection:
        queue = connection.SimpleQueue(service_queue(service, exchange))
        try:
            for _ in range(count):
                message = queue.get(timeout=10)
                result.append((Envelope.from_json(message.body), message))
                message.ack()
            assert queue.qsize() == 0
        finally:
            queue.close()
    return result


def create_offer(api: Api) -> dict[str, Any]:
    centre = api.centre()
    team = api.team(centre)
    return api.offer(team, [api.advisor(centre, team)])


@pytest.fixture
def rabbit_app(offers_database: str, secret_keys: str, rabbitmq_url: str, unique_exchange: str) -> Iterator[APIFlask]:
    app = build_app(offers_database, secret_keys, broker_url=rabbitmq_url, events_exchange=unique_exchange)
    yield app
    empty_and_close(app)


def test_relay_publishes_to_the_queues_of_booking_and_calendar_sync(
    rabbit_app: APIFlask, rabbitmq_url: str, unique_exchange: str
) -> None:
    context: ServiceContext = rabbit_app.extensions["planner"]
    offer = create_offer(Api(rabbit_app.test_client()))
    assert context.relay.relay_pending() == 2
    assert context.relay.pending_count() == 0
    with context.db.transaction() as session:
        rows = {m.event_type: m for m in session.scalars(select(OutboxMessage))}
    assert all(m.published_at is not None for m in rows.values())

    [(published, message)] = received(rabbitmq_url, unique_exchange, "booking", 1)
    assert published.type == ev.OFFER_PUBLISHED and published.version == 1
    assert published.id == rows[ev.OFFER_PUBLISHED].event_id == message.properties["message_id"]
    assert message.properties["delivery_mode"] == 2 and message.content_type == "application/json"
    payload = ev.OfferPayload.model_validate(published.payload)
    assert payload.offer_id == offer["id"] and payload.advisor_ids == offer["advisor_ids"]

    sync = received(rabbitmq_url, unique_exchange, "calendar_sync", 2)
    assert [e.type for e, _ in sync] == [ev.ADVISOR_CHANGED, ev.OFFER_PUBLISHED]
    assert sync[1][0] == published
    assert ev.AdvisorCalendarPayload.model_validate(sync[0][0].payload).advisor_id == offer["advisor_ids"][0]


def test_events_wait_in_the_outbox_while_the_broker_is_down(
    offers_database: str, secret_keys: str, rabbitmq_url: str, unique_exchange: str
) -> None:
    down = f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    app = build_app(offers_database, secret_keys, broker_url=down, events_exchange=unique_exchange)
    context: ServiceContext = app.extensions["planner"]
    try:
        offer = create_offer(Api(app.test_client()))  # staff are not hindered by the broker
        with pytest.raises(Exception):  # noqa: B017 - any connection error will do
            context.relay.relay_pending()
        assert context.relay.pending_count() == 2
        with context.db.transaction() as session:
            assert all(m.published_at is None for m in session.scalars(select(OutboxMessage)))

        up = OutboxRelay(context.db, OutboxMessage, Publisher(rabbitmq_url, unique_exchange))
        assert up.relay_pending() == 2
        assert context.relay.pending_count() == 0
        [(published, _)] = received(rabbitmq_url, unique_exchange, "booking", 1)
        assert published.payload["offer_id"] == offer["id"]
        up.publisher.close()  # type: ignore[attr-defined]
    finally:
        empty_and_close(app)


def test_the_app_with_its_relay_thread_sends_events_right_after_the_commit(
    offers_database: str, secret_keys: str, rabbitmq_url: str, unique_exchange: str
) -> None:
    app = build_app(
        offers_database, secret_keys, broker_url=rabbitmq_url, events_exchange=unique_exchange, outbox_poll_seconds=60
    )
    context: ServiceContext = app.extensions["planner"]
    context.start_relay_thread()
    try:
        offer = create_offer(Api(app.test_client()))
        [(published, _)] = received(rabbitmq_url, unique_exchange, "booking", 1)  # long before the 60 s poll
        assert published.payload["offer_id"] == offer["id"]
    finally:
        empty_and_close(app)
