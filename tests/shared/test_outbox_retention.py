"""Sent events leave the outbox a week after they were published, in batches, run by the
relay itself; unsent events stay however old they are."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import DeclarativeBase

from shared.db import Database, make_metadata
from shared.events import Envelope
from shared.outbox import PUBLISHED_RETENTION, OutboxMixin, OutboxRelay

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = make_metadata()


class Outbox(OutboxMixin, Base):
    pass


class Recorder:
    """A publisher that only notes what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def publish_raw(self, event_type: str, body: str, event_id: str) -> None:
        self.sent.append(event_id)


@pytest.fixture
def db(create_database: Callable[[str], str]) -> Iterator[Database]:
    database = Database(create_database("retention"))
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def add_rows(db: Database, **published_ago: timedelta | None) -> None:
    """One outbox row per name, published that long before NOW (None: not sent yet)."""
    with db.transaction() as session:
        for name, ago in published_ago.items():
            envelope = Envelope(type="offer.changed", payload={"offer_id": name}, id=name)
            published = None if ago is None else NOW - ago
            session.add(
                Outbox(
                    event_id=envelope.id,
                    event_type=envelope.type,
                    body=envelope.to_json(),
                    created_at=NOW - timedelta(days=30),
                    published_at=published,
                )
            )


def remaining(db: Database) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(Outbox.event_id).order_by(Outbox.event_id)))


def test_the_relay_deletes_events_sent_more_than_a_week_ago_and_keeps_the_rest(db: Database) -> None:
    assert timedelta(days=7) == PUBLISHED_RETENTION
    add_rows(
        db,
        sent_a_month_ago=timedelta(days=30),
        sent_eight_days_ago=timedelta(days=8),
        sent_six_days_ago=timedelta(days=6),
        sent_just_now=timedelta(0),
        never_sent=None,
    )
    publisher = Recorder()
    relay = OutboxRelay(db, Outbox, publisher, clock=lambda: NOW)

    assert relay.relay_pending() == 1  # the unsent one is sent (and then kept: it was sent just now)

    assert publisher.sent == ["never_sent"]
    assert remaining(db) == ["never_sent", "sent_just_now", "sent_six_days_ago"]


def test_unsent_events_are_never_deleted_however_old(db: Database) -> None:
    add_rows(db, waiting=None)
    relay = OutboxRelay(db, Outbox, Recorder(), clock=lambda: NOW + timedelta(days=365))
    assert relay.purge_published() == 0
    assert remaining(db) == ["waiting"]


def test_a_large_backlog_is_deleted_in_batches(db: Database) -> None:
    add_rows(db, **{f"old-{i:02d}": timedelta(days=9) for i in range(7)}, recent=timedelta(days=1))
    deletes: list[int] = []

    def count_deletes(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(cursor.rowcount)

    event.listen(db.engine, "after_cursor_execute", count_deletes)
    try:
        deleted = OutboxRelay(db, Outbox, Recorder(), purge_batch=3, clock=lambda: NOW).purge_published()
    finally:
        event.remove(db.engine, "after_cursor_execute", count_deletes)

    assert deleted == 7
    assert deletes == [3, 3, 1]
    assert remaining(db) == ["recent"]


def test_the_relay_purges_at_most_once_per_interval(db: Database) -> None:
    now = [NOW]
    relay = OutboxRelay(db, Outbox, Recorder(), purge_every=timedelta(hours=1), clock=lambda: now[0])
    relay.relay_pending()  # the first purge: nothing to delete yet
    add_rows(db, sent_long_ago=timedelta(days=10))

    now[0] = NOW + timedelta(minutes=30)
    relay.relay_pending()
    assert remaining(db) == ["sent_long_ago"]  # not yet: the last purge was half an hour ago

    now[0] = NOW + timedelta(hours=1)
    relay.relay_pending()
    assert remaining(db) == []
