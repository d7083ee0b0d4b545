"""Time limits and dead-lettering in ``planner worker`` as IT runs it (prefork pool,
RabbitMQ, PostgreSQL): what the eager tests of test_poison_tasks.py can only simulate.

- a sync whose pool process is SIGKILLed mid-read three times (as the kernel kills a process
  that ran out of memory) is not delivered for ever: the fourth delivery pauses the calendar
  and staff see why;
- a sync that outlasts its soft time limit is stopped and recorded as the calendar's failure.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.calendar_sync import runtime
from services.calendar_sync.consumer import apply_advisor_changed
from services.calendar_sync.models import AdvisorCalendar
from services.calendar_sync.tasks import MAX_ATTEMPTS, SYNC_PAUSED
from tests.calendar_sync import test_worker_rabbitmq as on_rabbitmq
from tests.calendar_sync.factories import advisor_changed, new_id
from tests.calendar_sync.http_proxy import HttpProxy, Refusal
from tests.calendar_sync.test_worker_rabbitmq import WAIT, HeldWrites, WorkerStack

pytestmark = pytest.mark.e2e

stack = on_rabbitmq.stack  # the fixtures: worker processes, proxies in front of Radicale
proxies = on_rabbitmq.proxies


class HeldRequests(HeldWrites):
    """Holds each of the first ``hold`` requests of any method (a calendar read) until
    ``release()``, then answers it 503; forwards every later request."""

    def __call__(self, method: str, _body: bytes) -> Refusal:
        with self._arrived:
            self.puts += 1
            held = self.puts <= self.hold
            self._arrived.notify_all()
        if not held:
            return None
        self._released.acquire(timeout=2 * WAIT)
        return 503


def advisor_row(stack: WorkerStack, advisor_id: str) -> AdvisorCalendar | None:
    with stack.context.db.transaction() as session:
        return session.get(AdvisorCalendar, advisor_id)


def test_a_sync_whose_pool_process_is_killed_three_times_pauses_the_calendar(
    stack: WorkerStack, new_calendar: Callable[[str], str], proxies: Callable[[HeldWrites], HttpProxy]
) -> None:
    server = HeldRequests(hold=MAX_ATTEMPTS)
    proxy = proxies(server)
    advisor_id = new_id()
    stack.start("worker")
    stack.publish(
        advisor_changed(
            advisor_id, caldav_url=proxy.url_for(new_calendar("anne")), secret_keys=stack.settings.secret_keys
        )
    )

    for n in range(1, MAX_ATTEMPTS + 1):
        server.wait_for_put(n)  # the sync (delivered again) is reading, in a pool process
        stack.kill_pool_process("worker")
        server.release()

    def paused() -> AdvisorCalendar | None:
        row = advisor_row(stack, advisor_id)
        return row if row is not None and row.last_error == SYNC_PAUSED else None

    row = stack.wait(paused, "the calendar to be paused")
    assert row.health_error == SYNC_PAUSED and row.health_stale is True  # calendar.health_changed for staff
    assert row.sync_attempts == MAX_ATTEMPTS and row.last_success_at is None
    assert server.puts == MAX_ATTEMPTS, "the fourth delivery did not read the calendar"


def test_a_sync_that_outlasts_its_soft_time_limit_is_stopped_and_recorded(
    stack: WorkerStack, new_calendar: Callable[[str], str], proxies: Callable[[HeldWrites], HttpProxy]
) -> None:
    server = HeldRequests(hold=1)  # the calendar server never answers the first request
    proxy = proxies(server)
    advisor_id = new_id()
    with stack.context.db.transaction() as session:  # known to the worker, not yet read
        apply_advisor_changed(
            session,
            advisor_changed(
                advisor_id, caldav_url=proxy.url_for(new_calendar("anne")), secret_keys=stack.settings.secret_keys
            ),
        )
    stack.start("worker")

    sync = runtime.get_app(stack.settings).tasks["calendar_sync.sync_advisor"]
    sync.apply_async((advisor_id,), soft_time_limit=1, time_limit=60)  # the worker's own limit is 120 s

    def recorded() -> AdvisorCalendar | None:
        row = advisor_row(stack, advisor_id)
        done = row is not None and row.sync_attempts == 0  # the task has ended (its start no longer counted)
        return row if done and row.last_error and "tidsgrænsen" in row.last_error else None

    row = stack.wait(recorded, "the sync to be stopped at its soft time limit")
    assert row.last_error == (
        "Kalenderen kunne ikke læses inden for tidsgrænsen (1 s); den læses igen ved næste synkronisering."
    )
    assert row.health_error == row.last_error and row.sync_attempts == 0
