"""Tasks that never finish, or that kill their worker: time limits and dead-lettering.

With late acknowledgement a task whose worker was killed (out of memory, the hard time
limit) is delivered again, for ever if it kills every worker it reaches. Each sync and
calendar write counts its start in a transaction of its own before it does anything; after
three starts without an end the task is dead-lettered and staff are told. A worker's death
is simulated here by ``WorkerDied``, a BaseException raised where the calendar would be
contacted: like a killed process it runs no ``except Exception`` handler, and the eager
task lets it through to the test (the real SIGKILL is in test_poison_tasks_rabbitmq.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import select

from services.calendar_sync import sync, tasks
from services.calendar_sync.consumer import apply_advisor_changed
from services.calendar_sync.models import AdvisorCalendar, OutboxMessage
from services.calendar_sync.tasks import MAX_ATTEMPTS, SYNC_PAUSE, SYNC_PAUSED
from shared import events as ev
from shared.service import ServiceContext
from shared.timeutil import utcnow
from tests.calendar_sync.factories import advisor_changed
from tests.calendar_sync.test_sync import add_advisor, advisor
from tests.calendar_sync.test_write_back import DAY, cancel_meeting, events_on, meeting, setup_booking

SYNC = "calendar_sync.sync_advisor"


class WorkerDied(BaseException):
    """The worker process is gone: no handler of the task runs."""


class Calls:
    """Counts the calls of what it replaces; each raises ``error`` (None: the real one runs)."""

    def __init__(self, real: Callable[..., Any], error: BaseException | None):
        self.real, self.error, self.count = real, error, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.count += 1
        if self.error is not None:
            raise self.error
        return self.real(*args, **kwargs)


@pytest.fixture
def calendar_read(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[BaseException | None], Calls]]:
    """Replace the sync's calendar read (the network layer) by one that raises."""

    def replace(error: BaseException | None) -> Calls:
        calls = Calls(sync._read_calendar, error)
        monkeypatch.setattr(sync, "_read_calendar", calls)
        return calls

    yield replace


@pytest.fixture
def calendar_login(monkeypatch: pytest.MonkeyPatch) -> Callable[[BaseException | None], Calls]:
    """Replace the calendar login every write makes first (before any request)."""

    def replace(error: BaseException | None) -> Calls:
        calls = Calls(sync.advisor_account, error)
        monkeypatch.setattr(sync, "advisor_account", calls)
        return calls

    return replace


def health_events(context: ServiceContext, advisor_id: str) -> list[dict[str, Any]]:
    with context.db.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.event_type == ev.CALENDAR_HEALTH_CHANGED)
            .order_by(OutboxMessage.seq)
        )
        payloads = [json.loads(row.body)["payload"] for row in rows]
    return [p for p in payloads if p["advisor_id"] == advisor_id]


def die_times(celery_app: Celery, task: str, argument: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(WorkerDied):
            celery_app.tasks[task].delay(argument)


def test_a_sync_that_reaches_the_soft_time_limit_is_a_failure_staff_see_and_is_not_retried(
    context: ServiceContext, celery_app: Celery, calendar_read: Callable[[BaseException | None], Calls]
) -> None:
    advisor_id = add_advisor(context, "http://127.0.0.1:9/anne/work/")
    read = calendar_read(SoftTimeLimitExceeded())

    outcome = celery_app.tasks[SYNC].delay(advisor_id).get()

    message = "Kalenderen kunne ikke læses inden for tidsgrænsen (120 s); den læses igen ved næste synkronisering."
    assert outcome["ok"] is False and outcome["error"] == message
    assert read.count == 1, "no retry: the next periodic sync tries again"
    row = advisor(context, advisor_id)
    assert row.last_error == message and row.sync_attempts == 0
    [health] = health_events(context, advisor_id)
    assert health["last_error"] == message and health["stale"] is True


@pytest.mark.parametrize("step", ["_start_sync", "_last_success"])
def test_a_soft_time_limit_striking_before_the_read_is_recorded_all_the_same(
    context: ServiceContext,
    celery_app: Celery,
    calendar_read: Callable[[BaseException | None], Calls],
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    """A loaded machine: the limit strikes in the sync's first database work, not in the read."""
    advisor_id = add_advisor(context, "http://127.0.0.1:9/anne/work/")
    read = calendar_read(None)
    monkeypatch.setattr(tasks, step, Calls(getattr(tasks, step), SoftTimeLimitExceeded()))

    outcome = celery_app.tasks[SYNC].delay(advisor_id).get()

    assert read.count == 0
    assert outcome["ok"] is False and "tidsgrænsen (120 s)" in outcome["error"]
    row = advisor(context, advisor_id)
    assert "tidsgrænsen" in (row.last_error or "") and row.sync_attempts == 0


def test_a_sync_whose_worker_dies_three_times_pauses_the_calendar_and_staff_see_why(
    context: ServiceContext,
    celery_app: Celery,
    new_calendar: Callable[[str], str],
    calendar_read: Callable[[BaseException | None], Calls],
) -> None:
    advisor_id = add_advisor(context, new_calendar("anne"))
    read = calendar_read(WorkerDied())

    for attempt in range(1, MAX_ATTEMPTS + 1):
        die_times(celery_app, SYNC, advisor_id, 1)
        assert advisor(context, advisor_id).sync_attempts == attempt, "counted before the read, and kept"

    outcome = celery_app.tasks[SYNC].delay(advisor_id).get()  # the poison task, delivered once more

    assert read.count == MAX_ATTEMPTS, "the calendar is not read again"
    assert outcome["ok"] is False and outcome["error"] == SYNC_PAUSED
    assert "pause efter 3 forsøg" in SYNC_PAUSED and "én gang i timen" in SYNC_PAUSED
    [health] = health_events(context, advisor_id)
    assert health["last_error"] == SYNC_PAUSED and health["stale"] is True and health["last_success_at"] is None

    celery_app.tasks[SYNC].delay(advisor_id).get()  # the periodic sync, minutes later

    assert read.count == MAX_ATTEMPTS and len(health_events(context, advisor_id)) == 1


def test_a_paused_calendar_is_read_again_after_an_hour_and_the_count_resets_on_success(
    context: ServiceContext,
    celery_app: Celery,
    new_calendar: Callable[[str], str],
    calendar_read: Callable[[BaseException | None], Calls],
) -> None:
    advisor_id = add_advisor(context, new_calendar("anne"))
    read = calendar_read(WorkerDied())
    die_times(celery_app, SYNC, advisor_id, MAX_ATTEMPTS)
    with context.db.transaction() as session:  # the last attempt was an hour ago
        row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None and row.last_attempt_at is not None
        row.last_attempt_at -= SYNC_PAUSE

    die_times(celery_app, SYNC, advisor_id, 1)  # one more try after the pause: still deadly

    assert read.count == MAX_ATTEMPTS + 1
    assert celery_app.tasks[SYNC].delay(advisor_id).get()["error"] == SYNC_PAUSED, "paused for another hour"
    assert read.count == MAX_ATTEMPTS + 1
    with context.db.transaction() as session:
        row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None and row.last_attempt_at is not None
        row.last_attempt_at -= SYNC_PAUSE
    read.error = None  # the calendar can be read again

    outcome = celery_app.tasks[SYNC].delay(advisor_id).get()

    assert outcome["ok"] is True and read.count == MAX_ATTEMPTS + 2
    row = advisor(context, advisor_id)
    assert row.sync_attempts == 0 and row.last_error is None and row.last_success_at is not None
    assert health_events(context, advisor_id)[-1]["last_error"] is None


def test_a_paused_calendar_is_read_at_once_when_the_advisors_calendar_settings_change(
    context: ServiceContext,
    celery_app: Celery,
    new_calendar: Callable[[str], str],
    calendar_read: Callable[[BaseException | None], Calls],
) -> None:
    advisor_id = add_advisor(context, new_calendar("anne"))
    read = calendar_read(WorkerDied())
    die_times(celery_app, SYNC, advisor_id, MAX_ATTEMPTS)
    assert celery_app.tasks[SYNC].delay(advisor_id).get()["error"] == SYNC_PAUSED
    read.error = None

    with context.db.transaction() as session:  # staff enter the calendar again (advisor.changed)
        envelope = advisor_changed(
            advisor_id,
            caldav_url=new_calendar("anne"),
            secret_keys=context.settings.secret_keys,
            occurred_at=utcnow() + timedelta(seconds=1),
        )
        apply_advisor_changed(session, envelope)
    outcome = celery_app.tasks[SYNC].delay(advisor_id, True).get()  # the sync the change sends

    assert outcome["ok"] is True and read.count == MAX_ATTEMPTS + 1
    assert advisor(context, advisor_id).sync_attempts == 0


def test_a_sync_that_ends_in_an_ordinary_failure_resets_the_count(
    context: ServiceContext, celery_app: Celery, calendar_read: Callable[[BaseException | None], Calls]
) -> None:
    advisor_id = add_advisor(context, "http://127.0.0.1:9/anne/work/")
    read = calendar_read(WorkerDied())
    die_times(celery_app, SYNC, advisor_id, MAX_ATTEMPTS - 1)
    read.error = RuntimeError("kaput")

    outcome = celery_app.tasks[SYNC].delay(advisor_id).get()

    assert outcome["ok"] is False and "kaput" in outcome["error"]
    assert advisor(context, advisor_id).sync_attempts == 0, "a failure the task handled ends the attempt"
    read.error = WorkerDied()
    die_times(celery_app, SYNC, advisor_id, 1)
    assert advisor(context, advisor_id).sync_attempts == 1, "so one more death does not pause the calendar"


def test_a_calendar_write_whose_worker_dies_three_times_is_given_up_and_recorded(
    context: ServiceContext,
    celery_app: Celery,
    new_calendar: Callable[[str], str],
    calendar_login: Callable[[BaseException | None], Calls],
) -> None:
    url = new_calendar("anne")
    booking = setup_booking(context, url)
    login = calendar_login(WorkerDied())

    for attempt in range(1, MAX_ATTEMPTS + 1):
        die_times(celery_app, "calendar_sync.write_booking", booking.booking_id, 1)
        assert meeting(context, booking.booking_id).write_attempts == attempt

    assert celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get() is None

    assert login.count == MAX_ATTEMPTS, "not tried a fourth time"
    row = meeting(context, booking.booking_id)
    assert row.written_at is None and row.write_error == (
        "Mødet kunne ikke skrives i rådgiverens kalender: arbejdsprocessen stoppede undervejs 3 gange i træk "
        "(for meget hukommelse eller tid); der forsøges ikke igen."
    )
    assert events_on(url, DAY) == []


def test_a_write_that_succeeds_after_two_deaths_is_written_and_its_count_reset(
    context: ServiceContext,
    celery_app: Celery,
    new_calendar: Callable[[str], str],
    calendar_login: Callable[[BaseException | None], Calls],
) -> None:
    url = new_calendar("anne")
    booking = setup_booking(context, url)
    login = calendar_login(WorkerDied())
    die_times(celery_app, "calendar_sync.write_booking", booking.booking_id, MAX_ATTEMPTS - 1)
    assert meeting(context, booking.booking_id).write_attempts == MAX_ATTEMPTS - 1
    login.error = None

    href = celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()

    row = meeting(context, booking.booking_id)
    assert href and row.written_at is not None and row.write_error is None and row.write_attempts == 0
    assert len(events_on(url, DAY)) == 1


def test_a_delete_whose_worker_dies_three_times_is_given_up_and_recorded(
    context: ServiceContext,
    celery_app: Celery,
    new_calendar: Callable[[str], str],
    calendar_login: Callable[[BaseException | None], Calls],
) -> None:
    url = new_calendar("anne")
    booking = setup_booking(context, url)
    celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()
    cancel_meeting(context, booking)
    login = calendar_login(WorkerDied())
    die_times(celery_app, "calendar_sync.delete_booking", booking.booking_id, MAX_ATTEMPTS)

    assert celery_app.tasks["calendar_sync.delete_booking"].delay(booking.booking_id).get() is False

    assert login.count == MAX_ATTEMPTS
    error = meeting(context, booking.booking_id).write_error
    assert error is not None and error.startswith("Mødet kunne ikke fjernes fra rådgiverens kalender")


def test_a_write_that_reaches_the_soft_time_limit_is_recorded_and_not_retried(
    context: ServiceContext,
    celery_app: Celery,
    new_calendar: Callable[[str], str],
    calendar_login: Callable[[BaseException | None], Calls],
) -> None:
    booking = setup_booking(context, new_calendar("anne"))
    login = calendar_login(SoftTimeLimitExceeded())

    result = celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id)

    assert result.failed() and login.count == 1
    row = meeting(context, booking.booking_id)
    assert row.written_at is None and row.write_attempts == 0
    assert row.write_error == (
        "Mødet kunne ikke skrives i rådgiverens kalender; der forsøges ikke igen: "
        "skrivningen tog længere end tidsgrænsen (120 s)"
    )


def test_the_worker_app_limits_time_and_memory_of_every_task(celery_app: Celery) -> None:
    conf = celery_app.conf
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (120, 150)
    assert conf.worker_max_memory_per_child == 512 * 1024  # KiB
    assert conf.task_acks_late and conf.task_reject_on_worker_lost  # what makes the attempt counters necessary
