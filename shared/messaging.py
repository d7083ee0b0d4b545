"""Events over RabbitMQ with kombu: topology, a confirming publisher, a consumer.

One durable topic exchange carries every event, routed by its type. Each consuming
service has one durable queue bound to the types it needs. Publisher and consumers
both declare the whole topology, so an event published before a consumer ever ran
still waits in that consumer's queue. ``PUBLISHES`` and ``SUBSCRIPTIONS`` are what each
service's RabbitMQ user is allowed (``deploy/rabbitmq/definitions.json``).

An ``amqps://`` broker URL connects with TLS: the server's certificate must chain to
``PLANNER_BROKER_CA_FILE`` (or the system's CAs) and name the URL's host (``broker_ssl``).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import ssl
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kombu import Connection, Exchange, Queue, binding
from kombu.mixins import ConsumerMixin

from shared import events as ev
from shared.config import get_settings
from shared.events import CLOCK_TOLERANCE, Envelope
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "offers": (
        ev.CALENDAR_HEALTH_CHANGED,
        ev.BOOKING_CONFLICT_DETECTED,
        ev.ADVISOR_FREE_TIME_CHANGED,
        ev.GROUP_SEATS_CHANGED,
    ),
    "booking": (ev.OFFER_PUBLISHED, ev.OFFER_CHANGED, ev.AVAILABILITY_COMPUTED),
    "calendar_sync": (
        ev.ADVISOR_CHANGED,
        ev.ADVISOR_SYNC_REQUESTED,
        ev.OFFER_PUBLISHED,
        ev.OFFER_CHANGED,
        ev.BOOKING_CREATED,
        ev.BOOKING_CANCELLED,
        ev.BOOKING_REBOOKED,
        ev.GROUP_SEATS_CHANGED,
    ),
}
"""Which event types each consuming service receives."""

PUBLISHES: dict[str, tuple[str, ...]] = {
    "offers": (ev.ADVISOR_CHANGED, ev.ADVISOR_SYNC_REQUESTED, ev.OFFER_PUBLISHED, ev.OFFER_CHANGED),
    "booking": (ev.BOOKING_CREATED, ev.BOOKING_CANCELLED, ev.BOOKING_REBOOKED, ev.GROUP_SEATS_CHANGED),
    "calendar_sync": (
        ev.AVAILABILITY_COMPUTED,
        ev.CALENDAR_HEALTH_CHANGED,
        ev.BOOKING_CONFLICT_DETECTED,
        ev.ADVISOR_FREE_TIME_CHANGED,
    ),
}
"""Which event types each service publishes (its RabbitMQ user may publish no others)."""


def events_exchange(name: str) -> Exchange:
    return Exchange(name, type="topic", durable=True)


def service_queue(service: str, exchange_name: str) -> Queue:
    """The durable queue of ``service`` (``<exchange>.<service>``), bound to every type it
    subscribes to."""
    exchange = events_exchange(exchange_name)
    return Queue(
        f"{exchange_name}.{service}",
        bindings=[binding(exchange, routing_key=t) for t in SUBSCRIPTIONS[service]],
        durable=True,
    )


def declare_topology(connection: Connection, exchange_name: str) -> None:
    """Declare the exchange and every service queue (idempotent)."""
    channel = connection.default_channel
    events_exchange(exchange_name)(channel).declare()
    for service in SUBSCRIPTIONS:
        service_queue(service, exchange_name)(channel).declare()


SslOptions = dict[str, Any] | bool
"""kombu's ``Connection(ssl=...)`` and Celery's ``broker_use_ssl``: False for no TLS."""


def broker_ssl(url: str, ca_file: str = "") -> SslOptions:
    """The TLS options for ``url``: none unless it is ``amqps://``; then the server's
    certificate is required, must chain to ``ca_file`` (empty: the system's trusted CAs) and
    must name the URL's host (``server_hostname: None`` makes kombu use it)."""
    if not url.startswith("amqps://"):
        return False
    options: dict[str, Any] = {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": None}
    if ca_file:
        options["ca_certs"] = ca_file
    return options


def _configured_ssl(url: str) -> SslOptions:
    """``broker_ssl`` with this process's ``PLANNER_BROKER_CA_FILE`` (read only for amqps://)."""
    if not url.startswith("amqps://"):
        return False
    return broker_ssl(url, get_settings().broker_ca_file)


def broker_connection(url: str, ssl_options: SslOptions | None = None) -> Connection:
    """A kombu connection; AMQP connections use publisher confirms. ``ssl_options`` (see
    ``broker_ssl``) default to this process's settings for ``url``."""
    options: dict[str, Any] = {"confirm_publish": True}
    if url.startswith("memory"):
        options = {"polling_interval": 0.05}
    tls = _configured_ssl(url) if ssl_options is None else ssl_options
    if isinstance(tls, dict):
        tls = dict(tls)  # kombu fills in server_hostname per connection
    return Connection(url, transport_options=options, connect_timeout=5, ssl=tls)


class Publisher:
    """Publishes events persistently and waits for the broker's confirm.

    Thread-safe; reconnects on the next publish after a failure. ``ssl_options``: see
    ``broker_connection``.
    """

    def __init__(self, broker_url: str, exchange_name: str, ssl_options: SslOptions | None = None):
        self.broker_url, self.exchange_name, self.ssl_options = broker_url, exchange_name, ssl_options
        self.exchange = events_exchange(exchange_name)
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    def _producer_connection(self) -> Connection:
        if self._connection is None:
            connection = broker_connection(self.broker_url, self.ssl_options)
            connection.ensure_connection(max_retries=1)
            declare_topology(connection, self.exchange_name)
            self._connection = connection
        return self._connection

    def publish_raw(self, event_type: str, body: str, event_id: str) -> None:
        with self._lock:
            try:
                connection = self._producer_connection()
                producer = connection.Producer()
                producer.publish(
                    body,
                    exchange=self.exchange,
                    routing_key=event_type,
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    message_id=event_id,
                    type=event_type,
                )
            except Exception:
                self.close_unlocked()
                raise

    def publish(self, envelope: Envelope) -> None:
        self.publish_raw(envelope.type, envelope.to_json(), envelope.id)

    def close_unlocked(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # already broken; nothing to release
                self._connection.release()
            self._connection = None

    def close(self) -> None:
        with self._lock:
            self.close_unlocked()


def decode_envelope(body: Any) -> Envelope:
    """The envelope in a message body (already JSON-decoded by kombu, or raw)."""
    if isinstance(body, dict):
        return Envelope.from_dict(body)
    return Envelope.from_json(body)


KNOWN_TYPES = frozenset(t for types in SUBSCRIPTIONS.values() for t in types)
"""Every event type some service consumes (named in logs; any other type is not echoed)."""


class EventDelivery:
    """What every consumer does with one message: decode, hand to ``handle``, acknowledge.

    The message is acknowledged only after ``handle`` returned (its transaction has
    committed). A malformed message is rejected; a failing handler's message is put back
    after a short, growing pause. An event whose ``occurred_at`` lies more than
    ``tolerance`` after ``clock()`` is rejected unread (dead-lettered where the queue has a
    dead-letter exchange, else dropped): receivers keep the newest change by that instant,
    so a forged event from the future would otherwise freeze what it names.
    """

    def __init__(
        self,
        handle: Callable[[Envelope], None],
        max_pause: float = 10.0,
        *,
        clock: Callable[[], datetime] = utcnow,
        tolerance: timedelta = CLOCK_TOLERANCE,
    ):
        self.handle, self.max_pause = handle, max_pause
        self.clock, self.tolerance = clock, tolerance
        self._failures: dict[str, int] = {}

    def __call__(self, body: Any, message: Any) -> None:
        try:
            envelope = decode_envelope(body)
        except ValueError as exc:
            log.error("rejecting a malformed event: %s", exc)
            message.reject()
            return
        now = self.clock()
        if envelope.from_the_future(now, self.tolerance):
            kind = envelope.type if envelope.type in KNOWN_TYPES else "an unknown type"
            ahead = int((envelope.occurred_at - now).total_seconds())
            log.error("rejecting an event of %s: it claims to have occurred %d s after this host's clock", kind, ahead)
            message.reject()
            return
        try:
            self.handle(envelope)
        except Exception:
            count = self._failures.get(envelope.id, 0) + 1
            self._failures[envelope.id] = count
            log.exception("handling %s %s failed (attempt %d); it will be retried", envelope.type, envelope.id, count)
            time.sleep(min(0.2 * 2**count, self.max_pause))
            message.requeue()
            return
        self._failures.pop(envelope.id, None)
        message.ack()


class EventConsumer(ConsumerMixin):
    """Consumes one service's queue and hands each envelope to ``handle`` (see EventDelivery)."""

    def __init__(self, connection: Connection, queue: Queue, handle: Callable[[Envelope], None]):
        self.connection = connection
        self.queue = queue
        self.on_message = EventDelivery(handle)
        self.ready = threading.Event()

    def get_consumers(self, consumer_cls: Any, channel: Any) -> list[Any]:
        return [consumer_cls(queues=[self.queue], callbacks=[self.on_message], accept=["json"], prefetch_count=10)]

    def on_consume_ready(self, connection: Any, channel: Any, consumers: Any, **kwargs: Any) -> None:
        self.ready.set()


def run_consumer(
    broker_url: str,
    exchange_name: str,
    service: str,
    handle: Callable[[Envelope], None],
    ssl_options: SslOptions | None = None,
) -> EventConsumer:
    """Build the consumer of ``service``; call ``.run()`` on it (blocks) or run it in a thread."""
    connection = broker_connection(broker_url, ssl_options)
    connection.ensure_connection(max_retries=3)
    declare_topology(connection, exchange_name)
    return EventConsumer(connection, service_queue(service, exchange_name), handle)


def consume_until_signalled(
    broker_url: str, exchange_name: str, service: str, handle: Callable[[Envelope], None]
) -> None:
    """Run ``service``'s consumer in this process; SIGTERM or SIGINT stop it after the
    message in hand (``planner booking consume``, ``planner offers consume``)."""
    consumer = run_consumer(broker_url, exchange_name, service, handle)

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping the %s consumer", signum, service)
        consumer.should_stop = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    consumer.run()
