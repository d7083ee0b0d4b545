"""Replicas at once: two outbox relays never send an event twice, and a duplicate handed to
two consumers at the same moment is applied once (PostgreSQL, RabbitMQ).

The overlaps are forced, not hoped for: a relay's first publish waits until the other
relay has taken a batch of its own, and the first consumer holds its transaction open
until PostgreSQL shows the second one waiting for it (``pg_stat_activity``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from kombu import Connection
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from shared import events as ev
from shared.db import Database
from shared.events import Envelope
from shared.messaging import Publisher, service_queue
from shared.outbox import OutboxRelay, apply_once, record_event
from tests.shared.test_outbox_messaging import Base, Counter, Outbox, Processed

BACKLOG = 12
BATCH = 4
WAIT = 30.0  # seconds; only a safety net so a broken guard fails instead of hanging


@pytest.fixture
def url(create_database: Callable[[str], str]) -> Iterator[str]:
    """A fresh database with the outbox, inbox and counter tables."""
    made = create_database("outbox_race")
    engine = create_engine(made)
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(Counter.__table__.insert().values(id=1, applied=0))
    engine.dispose()
    yield made


def _replica(url: str, name: str) -> Database:
    """A Database of its own, as another replica would have; its sessions carry ``name``."""
    return Database(url, connect_args={"application_name": name})


def _waits_for_a_lock(monitor: Engine, name: str) -> bool:
    """Whether the session of replica ``name`` is blocked on a lock right now."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = :name AND wait_event_type = 'Lock'"
    )
    with monitor.connect() as connection:
        return bool(connection.execute(query, {"name": name}).scalar())


def _until(check: Callable[[], bool], what: str) -> None:
    """Poll a state another thread or session reaches (never a race: the other side is held)."""
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


class RecordingPublisher:
    """Publishes through a real, confirming Publisher and records each confirmed event id.

    ``before_first`` runs once, before the first publish: the relay then holds its batch
    locked in an open transaction.
    """

    def __init__(self, inner: Publisher, before_first: Callable[[], None]):
        self.inner, self.before_first = inner, before_first
        self.published: list[str] = []

    def publish_raw(self, event_type: str, body: str, event_id: str) -> None:
        if not self.published:
            self.before_first()
        self.inner.publish_raw(event_type, body, event_id)
        self.published.append(event_id)


def _queued_ids(broker_url: str, exchange: str) -> list[str]:
    """The ids of every message waiting in booking's queue (drained)."""
    ids: list[str] = []
    with Connection(broker_url, connect_timeout=5) as connection:
        queue = service_queue("booking", exchange)(connection.channel())
        while (message := queue.get(no_ack=True)) is not None:
            ids.append(message.properties["message_id"])
    return ids


def test_two_relays_at_once_send_every_event_exactly_once(url: str, rabbitmq_url: str, unique_exchange: str) -> None:
    first_db, second_db = _replica(url, "relay-1"), _replica(url, "relay-2")
    monitor = create_engine(url)
    with first_db.transaction() as session:
        envelopes = [Envelope(type=ev.OFFER_PUBLISHED, payload={"offer_id": f"o-{n}"}) for n in range(BACKLOG)]
        for envelope in envelopes:
            record_event(session, Outbox, envelope)
    in_order = [e.id for e in envelopes]

    first_holds_a_batch = threading.Event()
    second_has_a_batch = threading.Event()
    second_done = threading.Event()
    overlapped: list[bool] = []

    def first_waits_for_second() -> None:
        # relay 1 holds its batch locked; relay 2 must take another batch meanwhile, or
        # (without SKIP LOCKED) be seen blocked behind relay 1's rows
        first_holds_a_batch.set()
        _until(
            lambda: second_has_a_batch.is_set() or _waits_for_a_lock(monitor, "relay-2") or second_done.is_set(),
            "relay 2 took a batch or waited for relay 1",
        )
        overlapped.append(second_has_a_batch.is_set())

    first_publisher = RecordingPublisher(Publisher(rabbitmq_url, unique_exchange), first_waits_for_second)
    second_publisher = RecordingPublisher(Publisher(rabbitmq_url, unique_exchange), second_has_a_batch.set)
    relays = {
        "relay-1": OutboxRelay(first_db, Outbox, first_publisher, batch=BATCH),
        "relay-2": OutboxRelay(second_db, Outbox, second_publisher, batch=BATCH),
    }
    sent: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            sent[name] = relays[name].relay_pending()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            if name == "relay-2":
                second_done.set()

    first = threading.Thread(target=run, args=("relay-1",))
    second = threading.Thread(target=run, args=("relay-2",))
    try:
        first.start()
        assert first_holds_a_batch.wait(WAIT), "relay 1 never took a batch"
        second.start()
        first.join(WAIT)
        second.join(WAIT)
        assert not first.is_alive() and not second.is_alive()

        assert errors == []
        assert overlapped == [True], "relay 2 was blocked by relay 1's batch instead of taking the next one"
        published = first_publisher.published + second_publisher.published
        assert sorted(published) == sorted(in_order)  # every event, none twice
        assert sent == {"relay-1": len(first_publisher.published), "relay-2": len(second_publisher.published)}
        assert first_publisher.published and second_publisher.published  # both did a share of the work
        for publisher in (first_publisher, second_publisher):  # each relay sends in the outbox's order
            assert publisher.published == sorted(publisher.published, key=in_order.index)
        assert relays["relay-1"].pending_count() == 0
        assert sorted(_queued_ids(rabbitmq_url, unique_exchange)) == sorted(in_order)  # what a consumer gets
    finally:
        first_publisher.inner.close()
        second_publisher.inner.close()
        for db in (first_db, second_db):
            db.dispose()
        monitor.dispose()


def test_a_duplicate_delivered_to_two_consumers_at_once_is_applied_once(url: str) -> None:
    dbs = {name: _replica(url, name) for name in ("consumer-1", "consumer-2")}
    monitor = create_engine(url)
    envelope = Envelope(type=ev.OFFER_CHANGED, payload={"offer_id": "o-1"})
    first_is_applying = threading.Event()
    release_first = threading.Event()
    applied_by: list[str] = []
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def applier(name: str) -> Callable[[Session, Envelope], None]:
        def apply(session: Session, _envelope: Envelope) -> None:
            counter = session.get(Counter, 1)
            assert counter is not None
            counter.applied += 1
            session.flush()
            applied_by.append(name)
            if name == "consumer-1":  # hold the transaction open: its processed id is not committed yet
                first_is_applying.set()
                assert release_first.wait(WAIT)

        return apply

    def consume(name: str) -> None:
        try:
            results[name] = apply_once(dbs[name], Processed, envelope, applier(name))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    first = threading.Thread(target=consume, args=("consumer-1",))
    second = threading.Thread(target=consume, args=("consumer-2",))
    try:
        first.start()
        assert first_is_applying.wait(WAIT), "consumer 1 never applied the event"
        second.start()
        # consumer 2 found no processed id (consumer 1 has not committed) and its insert of
        # the same id now waits for consumer 1's transaction
        _until(lambda: _waits_for_a_lock(monitor, "consumer-2") or not second.is_alive(), "consumer 2 waits")
        second_was_waiting = second.is_alive()
        release_first.set()
        first.join(WAIT)
        second.join(WAIT)
        assert not first.is_alive() and not second.is_alive()

        assert second_was_waiting, "consumer 2 did not reach the insert while consumer 1's transaction was open"
        assert errors == []
        assert results == {"consumer-1": True, "consumer-2": False}
        assert applied_by == ["consumer-1"]
        with dbs["consumer-1"].transaction() as session:
            counter = session.get(Counter, 1)
            assert counter is not None and counter.applied == 1
            assert session.scalar(select(func.count()).select_from(Processed)) == 1
        # a later redelivery is a plain duplicate
        assert apply_once(dbs["consumer-2"], Processed, envelope, applier("consumer-2")) is False
        assert applied_by == ["consumer-1"]
    finally:
        release_first.set()
        for db in dbs.values():
            db.dispose()
        monitor.dispose()
