"""Transactional outbox and processed-event inbox.

A change and the event that announces it are written in the same database
transaction (``record_event``). The relay publishes unsent events afterwards with
publisher confirms and marks them sent; if the broker is down they wait in the table.
Consumers write the ids of applied events in ``processed_event`` inside the
transaction that applies them, so a redelivered event is skipped (``apply_once``).

Sent events are deleted ``PUBLISHED_RETENTION`` after they were published
(``OutboxRelay.purge_published``, which the relay runs about once an hour, in batches): the
table does not grow without end, and old payloads, calendar passwords' ciphertexts among
them, are not kept longer than needed to look into a delivery.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import BigInteger, Integer, String, Text, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import AwareDateTime, Database, table_of
from shared.events import Envelope
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

PUBLISHED_RETENTION = timedelta(days=7)
"""How long a sent event stays in the outbox after ``published_at``."""
PURGE_EVERY = timedelta(hours=1)
"""How often the relay deletes sent events older than the retention."""
PURGE_BATCH = 1000
"""Rows deleted per transaction, so a large backlog never holds long locks."""


class OutboxMixin:
    """Columns of a service's ``outbox`` table; mix into the service's Base."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)


class ProcessedEventMixin:
    """Columns of a service's ``processed_event`` table (ids of applied events)."""

    __tablename__ = "processed_event"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)


def record_event(session: Session, model: type[OutboxMixin], envelope: Envelope) -> None:
    """Add ``envelope`` to the outbox in ``session``'s transaction."""
    row = {"event_id": envelope.id, "event_type": envelope.type, "body": envelope.to_json()}
    session.execute(insert(table_of(model)), row)  # Core: no unit of work for one row
    session.info["outbox_pending"] = True


def apply_once(
    db: Database,
    model: type[ProcessedEventMixin],
    envelope: Envelope,
    apply: Callable[[Session, Envelope], None],
) -> bool:
    """Run ``apply`` in a transaction unless ``envelope`` was applied before.

    Returns False for a duplicate. Two concurrent deliveries of one event cannot both
    apply it: the second insert of the id fails on the primary key and is rolled back.
    """
    try:
        with db.transaction() as session:
            if session.get(model, envelope.id) is not None:
                return False
            session.add(model(event_id=envelope.id, event_type=envelope.type))
            session.flush()
            apply(session, envelope)
    except IntegrityError:
        with db.transaction() as session:
            if session.get(model, envelope.id) is not None:
                return False
        raise
    return True


def apply_known_event(
    db: Database,
    model: type[ProcessedEventMixin],
    appliers: Mapping[str, Callable[[Session, Envelope], None]],
    envelope: Envelope,
    supported_version: int = 1,
) -> bool:
    """Apply ``envelope`` once with the applier for its type; True when it was applied.

    Unknown types and versions are skipped, as are payloads that break the contract
    (logged as errors: redelivering them could never succeed). A database error
    propagates, so the consumer puts the message back and it is tried again.
    """
    apply = appliers.get(envelope.type)
    if apply is None:
        return False
    if envelope.version != supported_version:
        log.error("skipping %s %s: version %d is not supported", envelope.type, envelope.id, envelope.version)
        return False
    try:
        return apply_once(db, model, envelope, apply)
    except ValueError as exc:  # pydantic's ValidationError or a malformed id
        log.error("skipping %s %s: payload breaks the contract: %s", envelope.type, envelope.id, exc)
        return False


class RawPublisher(Protocol):
    def publish_raw(self, event_type: str, body: str, event_id: str) -> None: ...


class OutboxRelay:
    """Sends unsent outbox rows in order, a batch per transaction, and deletes sent ones
    once they are older than ``retention`` (at most every ``purge_every``, see ``relay_pending``).

    Safe with several relays on one PostgreSQL database: rows are taken with
    ``FOR UPDATE SKIP LOCKED``. A row whose publish was confirmed but whose commit was
    lost is sent again; consumers skip it by its id.
    """

    def __init__(
        self,
        db: Database,
        model: type[OutboxMixin],
        publisher: RawPublisher,
        batch: int = 100,
        *,
        retention: timedelta = PUBLISHED_RETENTION,
        purge_every: timedelta = PURGE_EVERY,
        purge_batch: int = PURGE_BATCH,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.db, self.model, self.publisher, self.batch = db, model, publisher, batch
        self.retention, self.purge_every, self.purge_batch, self.clock = retention, purge_every, purge_batch, clock
        self._lock = threading.Lock()
        self._next_purge: datetime | None = None

    def relay_pending(self) -> int:
        """Publish every unsent event; returns how many were sent. Also deletes the sent
        events past the retention when the last such purge is ``purge_every`` ago."""
        sent = self._send_pending()
        now = self.clock()
        if self._next_purge is None or now >= self._next_purge:
            try:
                self.purge_published(now)
            except Exception as exc:  # noqa: BLE001 - the events were sent; the purge is tried again next time
                log.warning("deleting old sent events from the outbox failed, will retry: %s", exc)
            else:
                self._next_purge = now + self.purge_every
        return sent

    def purge_published(self, now: datetime | None = None) -> int:
        """Delete the events published more than ``retention`` before ``now`` (default: the
        relay's clock), ``purge_batch`` rows per transaction; returns how many. Unsent rows
        are never deleted, however old."""
        cutoff = (now or self.clock()) - self.retention
        deleted = 0
        while True:
            with self.db.transaction() as session:
                query = (
                    select(self.model.seq)
                    .where(self.model.published_at.is_not(None), self.model.published_at < cutoff)
                    .order_by(self.model.seq)
                    .limit(self.purge_batch)
                )
                if not self.db.is_sqlite:
                    query = query.with_for_update(skip_locked=True)
                seqs = session.scalars(query).all()
                if seqs:
                    session.execute(delete(self.model).where(self.model.seq.in_(seqs)))
            deleted += len(seqs)
            if len(seqs) < self.purge_batch:
                if deleted:
                    log.info("deleted %d sent events older than %s from the outbox", deleted, self.retention)
                return deleted

    def _send_pending(self) -> int:
        sent = 0
        with self._lock:
            while True:
                with self.db.transaction() as session:
                    query = (
                        select(self.model)
                        .where(self.model.published_at.is_(None))
                        .order_by(self.model.seq)
                        .limit(self.batch)
                    )
                    if not self.db.is_sqlite:
                        query = query.with_for_update(skip_locked=True)
                    rows = session.scalars(query).all()
                    for row in rows:
                        self.publisher.publish_raw(row.event_type, row.body, row.event_id)
                        row.published_at = self.clock()
                sent += len(rows)
                if len(rows) < self.batch:
                    return sent

    def pending_count(self) -> int:
        with self.db.transaction() as session:
            return len(session.scalars(select(self.model.seq).where(self.model.published_at.is_(None))).all())


GATHER_SECONDS = 0.05
"""The shortest time between two runs of one relay thread: events committed meanwhile go out
together, in one relay transaction, instead of one transaction per committing request."""


class RelayThread(threading.Thread):
    """Runs a relay in the background: after a commit that wrote events (at most once per
    ``gather`` seconds, so a busy process sends its events in batches), and every
    ``interval`` seconds to retry what the broker refused."""

    def __init__(self, relay: OutboxRelay, interval: float, gather: float = GATHER_SECONDS):
        super().__init__(name="outbox-relay", daemon=True)
        self.relay, self.interval, self.gather = relay, interval, gather
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._last_run = 0.0
        relay.db.on_commit(self._after_commit)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop("outbox_pending", False):
            self._wake.set()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            since = time.monotonic() - self._last_run
            if since < self.gather:
                self._stopping.wait(self.gather - since)  # let the commits of this moment join the run
            self._wake.clear()
            if self._stopping.is_set():
                break
            self._last_run = time.monotonic()
            try:
                self.relay.relay_pending()
            except Exception as exc:  # noqa: BLE001 - the broker or database may be down; retry later
                log.warning("outbox relay failed, will retry: %s", exc)
