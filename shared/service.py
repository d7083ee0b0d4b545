"""The runtime parts every service process holds: settings, database, outbox relay."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.config import Settings
from shared.db import Database
from shared.messaging import Publisher
from shared.name_lookup import lookup_addresses
from shared.network_policy import CalendarTarget, Resolve, allow_list, check_calendar_url
from shared.outbox import OutboxMixin, OutboxRelay, RawPublisher, RelayThread


@dataclass
class ServiceContext:
    """One service's database and outbox relay, shared by its app, consumer and tasks."""

    settings: Settings
    db: Database
    relay: OutboxRelay
    relay_thread: RelayThread | None = field(default=None)
    resolve: Resolve = field(default=lookup_addresses)
    """How host names of calendar URLs are looked up (the system's resolver, time-bounded)."""

    def check_calendar_url(self, url: str) -> CalendarTarget:
        """Where ``url`` points if it may be used as a calendar URL under this deployment's
        ``calendar_hosts_allowed``; raises ``CalendarUrlRefused`` (see ``shared.network_policy``)."""
        return check_calendar_url(url, allow_list(self.settings.calendar_hosts_allowed), self.resolve)

    def start_relay_thread(self) -> RelayThread:
        """Send events in the background right after each commit (idempotent)."""
        if self.relay_thread is None:
            self.relay_thread = RelayThread(self.relay, self.settings.outbox_poll_seconds)
            self.relay_thread.start()
        return self.relay_thread

    def close(self) -> None:
        if self.relay_thread is not None:
            self.relay_thread.stop()
            self.relay_thread.join(timeout=5)
            self.relay_thread = None
        if isinstance(self.relay.publisher, Publisher):
            self.relay.publisher.close()
        self.db.dispose()


def build_context(
    settings: Settings,
    database_url: str,
    outbox_model: type[OutboxMixin],
    publisher: RawPublisher | None = None,
) -> ServiceContext:
    db = Database(database_url)
    publisher = publisher or Publisher(settings.broker_url, settings.events_exchange)
    return ServiceContext(settings=settings, db=db, relay=OutboxRelay(db, outbox_model, publisher))
