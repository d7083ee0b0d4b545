"""Events are never lost and never applied twice: outbox, RabbitMQ with confirms, inbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Integer, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import Database, make_metadata
from shared.events import Envelope
from shared.messaging import Publisher, run_consumer
from shared.outbox import OutboxMixin, OutboxRelay, ProcessedEventMixin, apply_once, record_event
from tests.conftest import free_port


class Base(DeclarativeBase):
    metadata = make_metadata()


class Outbox(OutboxMixin, Base):
    pass


class Processed(ProcessedEventMixin, Base):
    pass


class Counter(Base):
    __tablename__ = "counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied: Mapped[int] = mapped_column(Integer, default=0)


@pytest.fixture
def db(create_database) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(create_database("shared"))
    Base.metadata.create_all(database.engine)
    with database.transaction() as session:
        session.add(Counter(id=1, applied=0))
    yield database
    database.dispose()


def test_event_waits_in_outbox_while_broker_is_down_then_arrives_once(db, rabbitmq_url, unique_exchange) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        record_event(session, Outbox, Envelope(type="offer.published", payload={"offer_id": "o-1"}))

    down = OutboxRelay(db, Outbox, Publisher(f"amqp://guest:guest@127.0.0.1:{free_port()}//", unique_exchange))
    with pytest.raises(Exception):  # noqa: B017 - any connection error will do
        down.relay_pending()
    assert down.pending_count() == 1  # nothing lost

    received: list[Envelope] = []
    done = threading.Event()

    def handle(envelope: Envelope) -> None:
        def apply(session, env):  # type: ignore[no-untyped-def]
            session.get(Counter, 1).applied += 1

        apply_once(db, Processed, envelope, apply)
        received.append(envelope)
        if len(received) == 2:
            done.set()

    consumer = run_consumer(rabbitmq_url, unique_exchange, "booking", handle)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    assert consumer.ready.wait(10)

    up = OutboxRelay(db, Outbox, Publisher(rabbitmq_url, unique_exchange))
    assert up.relay_pending() == 1
    assert up.pending_count() == 0
    # A relay that crashed after the confirm but before its commit sends the event again:
    with db.transaction() as session:
        row = session.scalars(select(Outbox)).one()
        row.published_at = None
    assert up.relay_pending() == 1

    assert done.wait(15), "both deliveries should reach the consumer"
    consumer.should_stop = True
    thread.join(10)
    assert [e.type for e in received] == ["offer.published", "offer.published"]
    assert received[0].id == received[1].id
    with db.transaction() as session:
        assert session.get(Counter, 1).applied == 1  # applied once


def test_consumer_declares_queue_so_events_published_before_it_starts_are_kept(rabbitmq_url, unique_exchange) -> None:  # type: ignore[no-untyped-def]
    publisher = Publisher(rabbitmq_url, unique_exchange)
    sent = Envelope(type="booking.created", payload={"booking_id": "b-1"})
    publisher.publish(sent)
    publisher.close()

    got: list[Envelope] = []
    done = threading.Event()
    consumer = run_consumer(rabbitmq_url, unique_exchange, "calendar_sync", lambda e: (got.append(e), done.set()))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    assert done.wait(15)
    consumer.should_stop = True
    thread.join(10)
    assert got[0].id == sent.id and got[0].payload == {"booking_id": "b-1"}


def test_outbox_rows_are_written_only_when_the_change_commits(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), db.transaction() as session:
        record_event(session, Outbox, Envelope(type="offer.changed", payload={}))
        raise RuntimeError("the change failed")
    with db.transaction() as session:
        assert session.scalars(select(Outbox)).all() == []
