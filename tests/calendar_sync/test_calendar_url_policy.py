"""The worker checks an advisor's calendar URL again before every request: a URL into the
internal network (a forged event, a URL stored before the check, a name that now resolves
to an internal address) is never fetched, and staff see why in the calendar health. The
policy reads numeric hosts as the worker's HTTP client connects them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from caldav.lib.http_sync import requests as http
from celery import Celery
from sqlalchemy import select

from services.calendar_sync import consumer, runtime
from services.calendar_sync.celery_app import make_celery
from services.calendar_sync.models import AdvisorCalendar, OutboxMessage
from services.calendar_sync.sync import sync_advisor
from shared import events as ev
from shared.config import Settings
from shared.events import Envelope
from shared.network_policy import CalendarUrlRefused, check_calendar_url, parse_allow_list
from shared.service import ServiceContext
from tests.calendar_sync.factories import advisor_changed, new_id
from tests.calendar_sync.test_sync import NOW, add_advisor
from tests.calendar_sync.test_write_back import meeting, setup_booking

INTERNAL = "Kalenderadressen peger på en intern adresse"


class ConnectionRecorder:
    """A TCP listener on 127.0.0.1 that records every connection and answers 503."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = int(self.socket.getsockname()[1])
        self.connections: list[str] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="connection-recorder", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, peer = self.socket.accept()
            except TimeoutError:
                continue
            with connection:
                self.connections.append(peer[0])
                connection.settimeout(2)
                try:
                    connection.recv(65536)
                    connection.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self.socket.close()


@pytest.fixture
def recorder() -> Iterator[ConnectionRecorder]:
    listening = ConnectionRecorder()
    yield listening
    listening.close()


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    """The tests' settings with an empty allow-list: no loopback, as in production."""
    return settings.model_copy(update={"calendar_hosts_allowed": ""})


@pytest.fixture
def strict(strict_settings: Settings, context: ServiceContext) -> ServiceContext:
    """The worker's context under ``strict_settings`` (closed with ``context``'s)."""
    return runtime.get_context(strict_settings)


@pytest.fixture
def strict_celery(strict_settings: Settings, strict: ServiceContext) -> Celery:
    return make_celery(strict_settings)


def health_errors(context: ServiceContext, advisor_id: str) -> list[str | None]:
    with context.db.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.event_type == ev.CALENDAR_HEALTH_CHANGED)
            .order_by(OutboxMessage.seq)
        )
        payloads = [ev.CalendarHealthPayload.model_validate(Envelope.from_json(row.body).payload) for row in rows]
    return [p.last_error for p in payloads if p.advisor_id == advisor_id]


def last_error(context: ServiceContext, advisor_id: str) -> str | None:
    with context.db.transaction() as session:
        row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None
        return row.last_error


def test_the_recorder_sees_the_request_when_the_allow_list_admits_the_address(
    context: ServiceContext, celery_app: Celery, recorder: ConnectionRecorder
) -> None:
    """The control for the tests below: with 127.0.0.1 admitted the sync does connect."""
    advisor_id = new_id()
    url = f"http://127.0.0.1:{recorder.port}/anne/arbejde/"
    consumer.handle(context, advisor_changed(advisor_id, caldav_url=url, secret_keys=context.settings.secret_keys))
    assert recorder.connections
    assert INTERNAL not in (last_error(context, advisor_id) or "")


def test_advisor_changed_with_an_internal_url_makes_no_request_and_staff_see_why(
    strict: ServiceContext, strict_celery: Celery, recorder: ConnectionRecorder
) -> None:
    advisor_id = new_id()
    url = f"http://127.0.0.1:{recorder.port}/anne/arbejde/"

    consumer.handle(strict, advisor_changed(advisor_id, caldav_url=url, secret_keys=strict.settings.secret_keys))

    assert recorder.connections == []
    error = last_error(strict, advisor_id)
    assert error is not None and f"{INTERNAL} (127.0.0.1)" in error and "PLANNER_CALENDAR_HOSTS_ALLOWED" in error
    assert health_errors(strict, advisor_id)[-1] == error, "the calendar health tells staff"


def test_a_name_that_now_resolves_to_an_internal_address_is_not_fetched(
    strict: ServiceContext, recorder: ConnectionRecorder
) -> None:
    strict.resolve = lambda host: ["93.184.215.14", "127.0.0.1"]  # DNS rebinding, or a name inside
    advisor_id = add_advisor(strict, f"http://kalender.kommune.dk:{recorder.port}/anne/")

    outcome = sync_advisor(strict, advisor_id, NOW)

    assert recorder.connections == []
    assert not outcome.ok and not outcome.transient
    assert outcome.error is not None and f"{INTERNAL} (kalender.kommune.dk → 127.0.0.1)" in outcome.error
    assert last_error(strict, advisor_id) == outcome.error


def test_a_name_that_cannot_be_looked_up_is_tried_again_later(strict: ServiceContext) -> None:
    def unknown(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    strict.resolve = unknown
    advisor_id = add_advisor(strict, "https://kalender.kommune.dk/anne/")

    outcome = sync_advisor(strict, advisor_id, NOW)

    assert not outcome.ok and outcome.transient
    assert outcome.error is not None and "kalender.kommune.dk kan ikke slås op" in outcome.error


def test_no_meeting_is_written_to_an_internal_url(
    strict: ServiceContext, strict_celery: Celery, recorder: ConnectionRecorder
) -> None:
    booking = setup_booking(strict, f"http://0x7f.1:{recorder.port}/anne/arbejde/")

    href = strict_celery.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()

    assert href is None and recorder.connections == []
    written = meeting(strict, booking.booking_id)
    assert written.written_at is None and f"{INTERNAL} (127.0.0.1)" in (written.write_error or "")


NUMERIC_LOOPBACK = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "0x7f.1",
    "127.1",
    "0177.0.0.1",
    "127.000.000.001",
    "0x7f.0.0.0x1",
    "0",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "127%2e0%2e0%2e1",
]


@pytest.mark.parametrize("host", NUMERIC_LOOPBACK)
def test_every_spelling_the_http_client_connects_to_loopback_is_refused(
    recorder: ConnectionRecorder, host: str
) -> None:
    """The worker's HTTP client (niquests, or requests, as caldav picks it) really connects
    each spelling to 127.0.0.1, so the policy must refuse each of them."""
    url = f"http://{host}:{recorder.port}/anne/"
    response: Any = http.get(url, timeout=5)
    assert response.status_code == 503 and recorder.connections, f"the client did not connect {host}"

    with pytest.raises(CalendarUrlRefused):
        check_calendar_url(url, parse_allow_list(""), lambda name: pytest.fail(f"{name} was looked up"))
