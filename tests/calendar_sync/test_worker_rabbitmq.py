"""The calendar-sync worker as IT runs it: ``planner worker`` in processes of its own (a
prefork pool), on RabbitMQ and a fresh PostgreSQL database, with Radicale behind a small
proxy the test controls. What the eager in-memory tests cannot show:

- events reach the worker's consumer over RabbitMQ and its tasks travel as JSON messages
  (the worker accepts nothing else), and the meeting lands in the calendar at its instant;
- a read the calendar server did not answer is retried with growing pauses and succeeds;
- late acknowledgement: a task whose worker is SIGKILLed mid-request is delivered again
  (to the next worker, or, when only the pool process died, to the same one) and done;
- with the worker stopped, booking withholds the times once their calendar data expires.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
import requests
from celery import Celery
from kombu import Connection

from services.booking.db import migrate as migrate_booking
from services.calendar_sync import runtime
from services.calendar_sync.meeting_event import meeting_uid
from services.calendar_sync.models import AdvisorCalendar, BookedMeeting
from services.demo.embedded_radicale import RadicaleServer
from shared import events as ev
from shared.config import Settings
from shared.events import Envelope
from shared.messaging import Publisher, decode_envelope, service_queue
from shared.service import ServiceContext
from shared.timeutil import utcnow
from tests.booking.conftest import ADULT_ON_BENEFITS, build_service
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import (
    CPH,
    advisor_changed,
    at,
    booking_payload,
    event_ics,
    local_hhmm,
    new_id,
    offer_published,
    working_day_ahead,
)
from tests.calendar_sync.http_proxy import HttpProxy, Refusal
from tests.conftest import eventually, make_settings
from tests.e2e.processes import ServiceProcesses

pytestmark = pytest.mark.e2e

RETRY_SECONDS = 1.0
"""The workers' ``sync_retry_seconds``: retries after 1 and 2 s instead of 15 and 30 s."""
WAIT = 45.0


@dataclass
class WorkerStack:
    """``planner worker`` processes sharing one database, exchange and task queue."""

    settings: Settings
    procs: ServiceProcesses
    context: ServiceContext
    """The test's own view of the worker database (never used to run tasks)."""

    def start(self, name: str) -> int:
        """Start a worker with one pool process; returns the pid of its main process."""
        self.procs.start(name, "worker", "--concurrency", "1")
        return self.procs.procs[name].pid

    def kill(self, name: str) -> None:
        """SIGKILL the worker and its pool process: no shutdown, no acknowledgement."""
        proc = self.procs.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self, name: str) -> None:
        """Stop the worker as systemd does (SIGTERM: warm shutdown)."""
        proc = self.procs.procs.pop(name)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)

    def kill_pool_process(self, name: str) -> int:
        """SIGKILL the pool process of worker ``name`` (its main process lives on); its pid."""
        main = self.procs.procs[name].pid
        [child] = live_children(main)
        os.kill(child, signal.SIGKILL)
        return child

    def publish(self, *envelopes: Envelope) -> None:
        publisher = Publisher(self.settings.broker_url, self.settings.events_exchange)
        try:
            for envelope in envelopes:
                publisher.publish(envelope)
        finally:
            publisher.close()

    def meeting(self, booking_id: str) -> BookedMeeting | None:
        with self.context.db.transaction() as session:
            return session.get(BookedMeeting, booking_id)

    def written(self, booking_id: str) -> BookedMeeting | None:
        meeting = self.meeting(booking_id)
        return meeting if meeting is not None and meeting.written_at is not None else None

    def advisor(self, advisor_id: str) -> AdvisorCalendar:
        with self.context.db.transaction() as session:
            row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None
        return row

    def last_read(self, advisor_id: str) -> datetime | None:
        """When the advisor's calendar was last read successfully (None: never, or unknown)."""
        with self.context.db.transaction() as session:
            row = session.get(AdvisorCalendar, advisor_id)
        return row.last_success_at if row is not None else None

    def wait(self, check: Callable[[], Any], what: str) -> Any:
        return eventually(check, what, WAIT, on_tick=self.procs.assert_running)


def live_children(pid: int) -> list[int]:
    """The pids of the living (not zombie) child processes of ``pid``."""
    children: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        children += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return [c for c in children if Path(f"/proc/{c}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]


@pytest.fixture
def stack(
    tmp_path: Path, sync_url: str, secret_keys: str, rabbitmq_url: str, unique_exchange: str
) -> Iterator[WorkerStack]:
    values: dict[str, Any] = {
        "calendar_sync_database_url": sync_url,
        "broker_url": rabbitmq_url,
        "events_exchange": unique_exchange,
        "task_queue": f"{unique_exchange}.tasks",
        "secret_keys": secret_keys,
        "availability_horizon_days": 30,
        "sync_retry_seconds": RETRY_SECONDS,
        "log_level": "INFO",
        "calendar_hosts_allowed": "127.0.0.1",  # Radicale and the proxies listen on loopback
    }
    settings = make_settings(**values)
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {f"PLANNER_{name.upper()}": str(value) for name, value in values.items()} | {
        "PLANNER_STATE_DIR": str(tmp_path / "state")
    }
    procs = ServiceProcesses(logs, env)
    try:
        yield WorkerStack(settings, procs, runtime.get_context(settings))
    finally:
        procs.stop()
        runtime.close_contexts()
        print(procs.logs())  # shown when the test failed


@pytest.fixture
def proxies(radicale: RadicaleServer) -> Iterator[Callable[[Callable[[str, bytes], Refusal]], HttpProxy]]:
    """Factory: a proxy in front of Radicale that asks ``hook`` about every request."""
    made: list[tuple[HttpProxy, Callable[[str, bytes], Refusal]]] = []

    def make(hook: Callable[[str, bytes], Refusal]) -> HttpProxy:
        made.append((HttpProxy(radicale.url, hook), hook))
        return made[-1][0]

    yield make
    for proxy, hook in made:
        if isinstance(hook, HeldWrites):
            hook.release(hook.hold)
        proxy.close()


class FailingFirst:
    """Answers 503 to the first ``failures`` requests and notes when each request came."""

    def __init__(self, failures: int):
        self.failures = failures
        self.arrivals: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, _method: str, _body: bytes) -> Refusal:
        with self._lock:
            self.arrivals.append(time.monotonic())
            return 503 if len(self.arrivals) <= self.failures else None


class HeldWrites:
    """Holds each of the first ``hold`` PUTs (calendar writes) until ``release()`` and then
    answers it 503 (its worker is dead by then: it never reaches the calendar); forwards
    every other request, and every later PUT."""

    def __init__(self, hold: int):
        self.hold = hold
        self.puts = 0
        self._arrived = threading.Condition()
        self._released = threading.Semaphore(0)

    def __call__(self, method: str, _body: bytes) -> Refusal:
        if method != "PUT":
            return None
        with self._arrived:
            self.puts += 1
            held = self.puts <= self.hold
            self._arrived.notify_all()
        if not held:
            return None
        self._released.acquire(timeout=2 * WAIT)
        return 503

    def wait_for_put(self, n: int) -> None:
        """Wait until the ``n``-th PUT is in hand (its task is running in a worker)."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: self.puts >= n, WAIT), f"PUT {n} never came"

    def release(self, n: int = 1) -> None:
        """Answer ``n`` held PUTs."""
        self._released.release(n)


def writes(proxy: HttpProxy) -> list[int]:
    """The answers to calendar writes, sorted; without the 401s that make the client log in."""
    return sorted(seen.status for seen in proxy.seen if seen.method == "PUT" and seen.status != 401)


@dataclass
class Inbox:
    """The events that reach one service's queue, taken as that service's consumer would."""

    url: str
    exchange: str
    service: str
    events: list[Envelope] = field(default_factory=list)

    def take(self) -> list[Envelope]:
        with Connection(self.url) as connection:
            queue = connection.SimpleQueue(service_queue(self.service, self.exchange))
            try:
                while True:
                    try:
                        message = queue.get_nowait()
                    except queue.Empty:
                        break
                    self.events.append(decode_envelope(message.payload))
                    message.ack()
            finally:
                queue.close()
        return self.events

    def availability(self, offer_id: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """The first ``availability.computed`` of the offer whose payload passes ``check``."""
        found = [e.payload for e in self.take() if e.type == ev.AVAILABILITY_COMPUTED]
        return next((p for p in found if p["offer_id"] == offer_id and check(p)), None)


def local_starts(payload: dict[str, Any], advisor_id: str, day: Any) -> list[str]:
    starts = [datetime.fromisoformat(s["start"]) for s in payload["slots"] if s["advisor_id"] == advisor_id]
    assert all(s.tzinfo is not None for s in starts)
    return local_hhmm(starts, day)


def stored_event(radicale: RadicaleServer, calendar_url: str, booking_id: str) -> icalendar.Event | None:
    """The booked meeting's event as Radicale stores it (read past the proxy), or None."""
    href = calendar_url + f"{meeting_uid(booking_id)}.ics"
    response = requests.get(href, auth=("anne", USERS["anne"]), timeout=10)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    [event] = icalendar.Calendar.from_ical(response.text).walk("VEVENT")
    return event


def test_events_and_tasks_cross_rabbitmq_as_json_and_the_meeting_lands_at_its_instant(
    stack: WorkerStack, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    today = utcnow().astimezone(CPH).date()
    day = working_day_ahead(today)
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("busy", at(day, 10), at(day, 11)))
    advisor_id, offer_id = new_id(), new_id()
    booking = booking_payload(advisor_id, offer_id, at(day, 8))  # 08:00-08:30 plus 15 minutes' reporting
    inbox = Inbox(stack.settings.broker_url, stack.settings.events_exchange, "booking")
    stack.start("worker")

    stack.publish(
        advisor_changed(advisor_id, caldav_url=url, secret_keys=stack.settings.secret_keys),
        offer_published(offer_id, [advisor_id], first_meeting_date=today, opens_on=today),
        booking.envelope(ev.BOOKING_CREATED),
    )

    meeting = stack.wait(lambda: stack.written(booking.booking_id), "the meeting to be written")
    event = stored_event(radicale, url, booking.booking_id)
    assert event is not None and meeting.calendar_href.endswith(f"{meeting_uid(booking.booking_id)}.ics")
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (booking.start, booking.end)

    def without_the_meeting(payload: dict[str, Any]) -> bool:
        return "08:00" not in local_starts(payload, advisor_id, day) and payload["withheld_advisor_ids"] == []

    payload = stack.wait(lambda: inbox.availability(offer_id, without_the_meeting), "times without the meeting")
    assert local_starts(payload, advisor_id, day)[:3] == ["09:00", "11:00", "12:30"]  # 08:00-08:45 booked, 10-11 busy
    read = stack.last_read(advisor_id)
    assert read is not None
    valid_until = datetime.fromisoformat(payload["calendar_valid_until"][advisor_id])
    assert valid_until == read + timedelta(seconds=stack.settings.calendar_stale_after_seconds)


def test_a_read_the_server_did_not_answer_is_retried_after_growing_pauses_and_succeeds(
    stack: WorkerStack, new_calendar: Callable[[str], str], proxies: Callable[[FailingFirst], HttpProxy]
) -> None:
    server = FailingFirst(2)
    proxy = proxies(server)
    advisor_id = new_id()
    stack.start("worker")

    url = proxy.url_for(new_calendar("anne"))
    stack.publish(advisor_changed(advisor_id, caldav_url=url, secret_keys=stack.settings.secret_keys))

    stack.wait(lambda: stack.last_read(advisor_id), "the calendar to be read")
    assert proxy.answered[:2] == [503, 503] and all(status < 500 for status in proxy.answered[2:])
    first, second, third = server.arrivals[:3]  # each failed read stopped at its first request
    assert RETRY_SECONDS <= second - first < RETRY_SECONDS + 5
    assert 2 * RETRY_SECONDS <= third - second < 2 * RETRY_SECONDS + 5
    row = stack.advisor(advisor_id)
    assert row.last_error is None and row.health_stale is False


def test_a_write_whose_worker_is_killed_mid_request_is_done_by_the_next_worker(
    stack: WorkerStack,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    proxies: Callable[[HeldWrites], HttpProxy],
) -> None:
    server = HeldWrites(hold=1)
    url = new_calendar("anne")
    proxy = proxies(server)
    advisor_id = new_id()
    booking = booking_payload(advisor_id, new_id(), at(working_day_ahead(utcnow().astimezone(CPH).date()), 9))
    stack.start("first")
    stack.publish(
        advisor_changed(advisor_id, caldav_url=proxy.url_for(url), secret_keys=stack.settings.secret_keys),
        booking.envelope(ev.BOOKING_CREATED),
    )

    server.wait_for_put(1)  # write_booking is running in the first worker
    stack.kill("first")
    server.release()
    assert stack.written(booking.booking_id) is None and stored_event(radicale, url, booking.booking_id) is None

    stack.start("second")

    stack.wait(lambda: stack.written(booking.booking_id), "the second worker to write the meeting")
    event = stored_event(radicale, url, booking.booking_id)
    assert event is not None and event.decoded("DTSTART") == booking.start
    assert writes(proxy) == [201, 503]  # the first worker's, held until it was dead, and the second's


def test_a_write_whose_pool_process_is_killed_is_delivered_again_each_time_until_done(
    stack: WorkerStack,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    proxies: Callable[[HeldWrites], HttpProxy],
) -> None:
    kills = 2
    server = HeldWrites(hold=kills)
    url = new_calendar("anne")
    proxy = proxies(server)
    advisor_id = new_id()
    booking = booking_payload(advisor_id, new_id(), at(working_day_ahead(utcnow().astimezone(CPH).date()), 9))
    main = stack.start("worker")
    stack.publish(
        advisor_changed(advisor_id, caldav_url=proxy.url_for(url), secret_keys=stack.settings.secret_keys),
        booking.envelope(ev.BOOKING_CREATED),
    )

    killed = []
    for n in range(1, kills + 1):
        server.wait_for_put(n)  # delivered (again) and running in a pool process
        killed.append(stack.kill_pool_process("worker"))
        server.release()

    stack.wait(lambda: stack.written(booking.booking_id), "the meeting to be written after all")
    assert len(set(killed)) == kills and stack.procs.procs["worker"].pid == main  # the same worker, new processes
    assert stored_event(radicale, url, booking.booking_id) is not None
    stack.wait(lambda: len(writes(proxy)) == kills + 1, "the held writes to be answered")
    assert writes(proxy) == [201] + [503] * kills


def test_with_the_worker_stopped_booking_withholds_times_once_their_calendar_data_expires(
    stack: WorkerStack, new_calendar: Callable[[str], str], create_database: Callable[[str], str]
) -> None:
    booking_url = create_database("booking")
    migrate_booking(booking_url)
    booking = build_service(booking_url)
    today = utcnow().astimezone(CPH).date()
    day = working_day_ahead(today)
    advisor_id, offer_id = new_id(), new_id()
    inbox = Inbox(stack.settings.broker_url, stack.settings.events_exchange, "booking")
    stack.start("worker")
    try:
        stack.publish(
            advisor_changed(advisor_id, caldav_url=new_calendar("anne"), secret_keys=stack.settings.secret_keys),
            offer_published(offer_id, [advisor_id], first_meeting_date=today, opens_on=today, rules=ADULT_ON_BENEFITS),
        )
        stack.wait(lambda: inbox.availability(offer_id, lambda p: bool(p["slots"])), "times")
        stack.stop("worker")  # nothing reads the calendar from now on
        for envelope in inbox.take():  # what `planner booking consume` would apply
            booking.deliver(envelope)
        [*_, latest] = [e.payload for e in inbox.events if e.type == ev.AVAILABILITY_COMPUTED]
        valid_until = datetime.fromisoformat(latest["calendar_valid_until"][advisor_id])

        booking.clock.now = valid_until - timedelta(minutes=1)
        assert booking.local_starts(offer_id, advisor_id, day)[:2] == ["08:00", "08:30"]

        booking.clock.now = valid_until + timedelta(seconds=1)
        assert booking.local_starts(offer_id, advisor_id, day) == []
        assert booking.client().get(f"/api/v1/offers/{offer_id}").status_code == 200  # the offer stays
    finally:
        booking.context.close()


def test_nobody_on_the_broker_can_remote_control_a_worker(stack: WorkerStack) -> None:
    """Remote control is off: a running worker answers no broadcast (ping, and so shutdown)."""
    stack.start("w1")
    stack.wait(lambda: " ready." in stack.procs.full_logs(), "the worker to be ready")
    with Celery(broker=stack.settings.broker_url, set_as_current=False) as controller:
        assert controller.control.ping(timeout=2.0) == []
