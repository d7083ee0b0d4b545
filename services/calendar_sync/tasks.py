"""The worker's Celery tasks: ids in, JSON out, explicit names, idempotent.

``sync_advisor`` reads a calendar and then computes that advisor's offers again and
announces their free time (``publish_free_time``) when it changed, and at least once per
half ``calendar_stale_after_seconds`` while reads succeed (so booking's bound on the
calendar data, ``calendar_valid_until``, is renewed before it lapses);
``compute_offer`` records ``availability.computed`` in the outbox and relays it at once;
``write_booking`` puts the booked meeting into the advisor's calendar, retrying while
the calendar server does not answer and recording the final failure for staff to see.

Limits: every task has a soft time limit (``SOFT_TIME_LIMIT_SECONDS``; a sync that reaches it
is recorded as a failure of that calendar, a write as a failed write) and a hard one
(``TIME_LIMIT_SECONDS``: the worker kills the process). Tasks are acknowledged late and
delivered again when their worker died, so a task that kills its worker (memory, the hard
limit) would come back for ever: each sync and calendar write counts its start in a
transaction of its own before it does anything (``sync_attempts``, ``write_attempts``; a
killed process runs no handler), and the count is reset when the task ends in any ordinary
way. A task that finds ``MAX_ATTEMPTS`` starts without an end is dead-lettered: a sync pauses
the calendar (staff see why in its health; tried again after ``SYNC_PAUSE``, or at once when
the advisor's calendar settings change), a write is given up and recorded on the meeting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.calendar_sync import sync
from services.calendar_sync.caldav_client import CalDAVCalendar, request_limits
from services.calendar_sync.compute import compute_offer_availability, validity_renewal_due
from services.calendar_sync.free_time import advisor_free_time
from services.calendar_sync.health import stale_after
from services.calendar_sync.meeting_event import event_digest, meeting_event, meeting_uid
from services.calendar_sync.models import AdvisorCalendar, BookedMeeting, OutboxMessage
from services.calendar_sync.runtime import get_context, settings_of
from shared.errors import PlannerError, UpstreamUnavailable
from shared.events import (
    ADVISOR_FREE_TIME_CHANGED,
    AVAILABILITY_COMPUTED,
    AdvisorFreeTimePayload,
    AvailabilityPayload,
    BookingPayload,
    Contract,
)
from shared.outbox import record_event
from shared.service import ServiceContext
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

ContractT = TypeVar("ContractT", bound=Contract)
T = TypeVar("T")

SOFT_TIME_LIMIT_SECONDS = 120
"""Every task's soft time limit (``SoftTimeLimitExceeded`` is raised in it): above the 90 s
all CalDAV requests of one sync may take (``caldav_sync_deadline_seconds``)."""
TIME_LIMIT_SECONDS = 150
"""Every task's hard time limit: the worker kills the process running it."""

MAX_ATTEMPTS = 3
"""Starts of a sync or calendar write without an end (its worker died) before the task is
dead-lettered instead of run again."""
SYNC_PAUSE = timedelta(hours=1)
"""A paused (dead-lettered) calendar is read again this long after its last attempt (by the
periodic sync), or at once when the advisor's calendar settings change."""
SYNC_PAUSED = (
    f"Kalenderen er sat på pause efter {MAX_ATTEMPTS} forsøg i træk, hvor arbejdsprocessen stoppede under "
    "læsningen (for meget hukommelse eller tid). Den forsøges læst igen én gang i timen, og med det samme, "
    "når rådgiverens kalenderoplysninger ændres."
)

SYNC_MAX_RETRIES = 3
"""A read the calendar server did not answer is tried again after ``sync_retry_seconds``
(15 s), twice and four times that (then the periodic sync takes over); the failure is
recorded for staff each time."""
SYNC_RETRY_MAX_SECONDS = 600

WRITE_MAX_RETRIES = 8
"""Retries of a calendar write (backoff 1, 2, 4 ... s, at most 10 minutes apart)."""


def _context(task: Task) -> ServiceContext:
    return get_context(settings_of(task.app))


class SyncTask(Task):  # type: ignore[misc]
    """Records a sync the worker killed at the hard time limit as that calendar's failure
    (its start stays counted: killed again and again, the calendar is paused)."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        if not isinstance(exc, TimeLimitExceeded):
            return
        advisor_id = str(args[0] if args else kwargs.get("advisor_id"))
        sync._record_failure(_context(self), advisor_id, _time_limit_message(_limit(exc, TIME_LIMIT_SECONDS)), utcnow())


@shared_task(bind=True, base=SyncTask, name="calendar_sync.sync_advisor", max_retries=SYNC_MAX_RETRIES)
def sync_advisor(self: Task, advisor_id: str, recompute: bool = False) -> dict[str, Any]:
    """Read the advisor's calendar; compute their offers again and announce their free time
    when it changed (or always, with ``recompute``: their working hours may have changed).

    The computing happens here, in the process whose busy-time copy just took the change
    (``busy_cache``), rather than in whichever process would take a new task; only what
    fails here is left to a task of its own. An unchanged calendar still has its offers
    computed again when ``validity_renewal_due``: booking withholds an advisor's starts
    once the announced ``calendar_valid_until`` has passed.

    A read the server did not answer is tried again (``sync_retry_seconds``, doubling);
    what that failure made stale is withdrawn before the retry, not after it: a later
    attempt no longer sees the change. A sync that reaches the soft time limit is recorded
    as the calendar's failure and not tried again before the next periodic sync.

    The start is counted first (``_start_sync``); a calendar whose last ``MAX_ATTEMPTS``
    syncs never ended (their worker was killed) is not read but paused, and staff see why.
    """
    context = _context(self)
    now = utcnow()
    try:
        started = _start_sync(context, advisor_id, now)
    except SoftTimeLimitExceeded:  # struck before the read (a slow database): nothing was counted
        return _sync_result(_soft_limit_reached(self, context, advisor_id, now))
    if not started:
        log.error("calendar of advisor %s paused: %d syncs in a row killed their worker", advisor_id, MAX_ATTEMPTS)
        outcome = sync._record_failure(context, advisor_id, SYNC_PAUSED, now)
        _follow_up(self, context, advisor_id, outcome.affected_offer_ids, outcome.stale_changed)
        return _sync_result(outcome)
    try:
        result, retry_in = _sync(self, context, advisor_id, now, recompute)
    except Exception:
        _end_sync(context, advisor_id)
        raise
    _end_sync(context, advisor_id)  # before a retry starts (eager mode runs it inside this call)
    if retry_in is not None:  # the server did not answer: try again soon rather than at the next periodic sync
        raise self.retry(countdown=retry_in)
    return result


def _sync(
    task: Task, context: ServiceContext, advisor_id: str, now: datetime, recompute: bool
) -> tuple[dict[str, Any], float | None]:
    """The sync itself: read, then compute and announce what changed. Returns the task's
    result and, when the read is to be tried again, the countdown of that retry."""
    previous_success: datetime | None = None
    try:
        previous_success = _last_success(context, advisor_id)
        outcome = sync.sync_advisor(context, advisor_id, now)
    except SoftTimeLimitExceeded:
        outcome = _soft_limit_reached(task, context, advisor_id, now)
    retry = outcome.transient and task.request.retries < SYNC_MAX_RETRIES
    if retry:  # the retry does the rest
        offer_ids, announce = outcome.affected_offer_ids, outcome.stale_changed
    else:
        renew = outcome.ok and validity_renewal_due(previous_success, now, stale_after(context.settings))
        offer_ids = outcome.offer_ids if recompute or renew else outcome.affected_offer_ids
        announce = outcome.changed or outcome.stale_changed or recompute  # stale: offers learn it has no free time
    _follow_up(task, context, advisor_id, offer_ids, announce)
    retry_in = None
    if retry:
        retry_in = min(context.settings.sync_retry_seconds * 2**task.request.retries, SYNC_RETRY_MAX_SECONDS)
    return _sync_result(outcome), retry_in


def _soft_limit_reached(task: Task, context: ServiceContext, advisor_id: str, now: datetime) -> sync.SyncOutcome:
    """Record the soft time limit as the calendar's failure, wherever in the sync it struck."""
    log.warning("the sync of advisor %s reached the soft time limit", advisor_id)
    return sync._record_failure(context, advisor_id, _time_limit_message(_limit(task, SOFT_TIME_LIMIT_SECONDS)), now)


def _sync_result(outcome: sync.SyncOutcome) -> dict[str, Any]:
    return {"advisor_id": outcome.advisor_id, "ok": outcome.ok, "changed": outcome.changed, "error": outcome.error}


def _follow_up(task: Task, context: ServiceContext, advisor_id: str, offer_ids: list[str], announce: bool) -> None:
    """Compute ``offer_ids`` again and (``announce``) publish the advisor's free time; once
    the soft time limit struck, the rest go as tasks of their own (the hard limit is near)."""
    late = False
    for offer_id in offer_ids:
        late = _here_or_later(task, "calendar_sync.compute_offer", _compute_offer, context, offer_id, late=late)
    if announce:
        _here_or_later(task, "calendar_sync.publish_free_time", _publish_free_time, context, advisor_id, late=late)


def _start_sync(context: ServiceContext, advisor_id: str, now: datetime) -> bool:
    """Count the start of a sync, committed before anything is read; False (nothing counted)
    when the calendar is paused: ``MAX_ATTEMPTS`` syncs started without ending, the last less
    than ``SYNC_PAUSE`` ago and since the advisor's last ``advisor.changed``."""
    with context.db.transaction() as session:
        advisor = session.get(AdvisorCalendar, advisor_id, with_for_update=True)
        if advisor is None:
            return True  # the sync reports the unknown advisor
        last = advisor.last_attempt_at
        if (
            advisor.sync_attempts >= MAX_ATTEMPTS
            and last is not None
            and now - last < SYNC_PAUSE
            and advisor.changed_at <= last
        ):
            return False
        advisor.sync_attempts += 1
        advisor.last_attempt_at = now
    return True


def _end_sync(context: ServiceContext, advisor_id: str) -> None:
    """The sync ended (read, failed or recorded): its start no longer counts."""
    with context.db.transaction() as session:
        session.execute(update(AdvisorCalendar).where(AdvisorCalendar.advisor_id == advisor_id).values(sync_attempts=0))


def _limit(source: Task | TimeLimitExceeded, default: float) -> float:
    """The time limit that struck: a hard limit's exception carries it; a task's request
    carries the (hard, soft) limits it was sent with, else the task's default holds."""
    if isinstance(source, TimeLimitExceeded):
        return float(source.args[0]) if source.args else default
    _hard, soft = getattr(source.request, "timelimit", None) or (None, None)
    return float(soft or source.soft_time_limit or default)


def _time_limit_message(seconds: float) -> str:
    return (
        f"Kalenderen kunne ikke læses inden for tidsgrænsen ({seconds:g} s); den læses igen ved næste synkronisering."
    )


def _last_success(context: ServiceContext, advisor_id: str) -> datetime | None:
    with context.db.transaction() as session:
        return session.scalar(select(AdvisorCalendar.last_success_at).where(AdvisorCalendar.advisor_id == advisor_id))


@shared_task(bind=True, name="calendar_sync.resync_all")
def resync_all(self: Task) -> int:
    """Start a sync of every known advisor (Celery beat runs this periodically)."""
    with _context(self).db.transaction() as session:
        advisor_ids = list(session.scalars(select(AdvisorCalendar.advisor_id).order_by(AdvisorCalendar.advisor_id)))
    for advisor_id in advisor_ids:
        self.app.tasks["calendar_sync.sync_advisor"].delay(advisor_id)
    return len(advisor_ids)


@shared_task(bind=True, name="calendar_sync.compute_offer")
def compute_offer(self: Task, offer_id: str) -> int | None:
    """Compute the offer's bookable starts, record ``availability.computed``, relay it.

    Returns how many starts were published (None for an offer the worker does not know).
    """
    payload = _compute_offer(_context(self), offer_id)
    return None if payload is None else len(payload.slots)


def _compute_offer(context: ServiceContext, offer_id: str) -> AvailabilityPayload | None:
    return _announce(
        context,
        AVAILABILITY_COMPUTED,
        lambda session: compute_offer_availability(session, context.settings, offer_id, utcnow()),
        f"availability of offer {offer_id}",
    )


@shared_task(bind=True, name="calendar_sync.publish_free_time")
def publish_free_time(self: Task, advisor_id: str) -> int | None:
    """Record ``advisor.free_time_changed`` for the advisor and relay it (O-12).

    Returns how many free periods were published (None for an unknown advisor).
    """
    payload = _publish_free_time(_context(self), advisor_id)
    return None if payload is None else len(payload.free)


def _publish_free_time(context: ServiceContext, advisor_id: str) -> AdvisorFreeTimePayload | None:
    return _announce(
        context,
        ADVISOR_FREE_TIME_CHANGED,
        lambda session: advisor_free_time(session, context.settings, advisor_id, utcnow()),
        f"free time of advisor {advisor_id}",
    )


def _here_or_later(
    task: Task,
    name: str,
    action: Callable[[ServiceContext, str], object],
    context: ServiceContext,
    argument: str,
    *,
    late: bool = False,
) -> bool:
    """Run ``action(context, argument)`` now; if it fails, send the task ``name`` to try again.
    ``late`` (the soft time limit struck before): send the task at once. Returns whether the
    soft time limit has struck."""
    if late:
        task.app.tasks[name].delay(argument)
        return True
    try:
        action(context, argument)
    except SoftTimeLimitExceeded:
        log.warning("%s(%s) reached the soft time limit inside the sync; sent as a task of its own", name, argument)
        task.app.tasks[name].delay(argument)
        return True
    except Exception:
        log.exception("%s(%s) failed inside the sync; sent as a task of its own", name, argument)
        task.app.tasks[name].delay(argument)
    return False


def _announce(
    context: ServiceContext, event_type: str, compute: Callable[[Session], ContractT | None], what: str
) -> ContractT | None:
    """Record what ``compute`` returns as an event in the outbox (nothing for None), then
    relay the outbox at once; if the broker is down, beat relays it later."""
    with context.db.transaction() as session:
        payload = compute(session)
        if payload is None:
            return None
        record_event(session, OutboxMessage, payload.envelope(event_type))
    try:
        context.relay.relay_pending()
    except Exception as exc:  # noqa: BLE001 - the broker may be down; beat relays the outbox later
        log.warning("%s stays in the outbox for now: %s", what, exc)
    return payload


@shared_task(bind=True, name="calendar_sync.relay_outbox")
def relay_outbox(self: Task) -> int:
    """Publish every event still waiting in the outbox."""
    return _context(self).relay.relay_pending()


def _record_write(context: ServiceContext, booking_id: str, **values: Any) -> None:
    with context.db.transaction() as session:
        meeting = session.get(BookedMeeting, booking_id)
        if meeting is not None:
            for name, value in values.items():
                setattr(meeting, name, value)


WRITE_VERBS = {
    "calendar_sync.write_booking": "skrives i",
    "calendar_sync.update_booking": "opdateres i",
    "calendar_sync.delete_booking": "fjernes fra",
}
"""How staff are told which calendar write of a meeting was given up."""


class WriteBookingTask(Task):  # type: ignore[misc]
    """Records the final failure of a calendar write on the booked meeting (also one the
    worker stopped at the soft or the hard time limit)."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        booking_id = args[0] if args else kwargs.get("booking_id")
        if isinstance(exc, SoftTimeLimitExceeded):
            detail = f"skrivningen tog længere end tidsgrænsen ({_limit(self, SOFT_TIME_LIMIT_SECONDS):g} s)"
        elif isinstance(exc, TimeLimitExceeded):
            detail = f"skrivningen tog længere end tidsgrænsen ({_limit(exc, TIME_LIMIT_SECONDS):g} s)"
        else:
            detail = exc.detail if isinstance(exc, PlannerError) else str(exc)
        message = f"Mødet kunne ikke skrives i rådgiverens kalender; der forsøges ikke igen: {detail}"
        _record_write(_context(self), str(booking_id), write_error=message, write_attempts=0)


def counted_write(task: Task, booking_id: str, work: Callable[[ServiceContext], T], given_up: T) -> T:
    """Run the calendar write ``work`` of the meeting ``booking_id``, its start counted
    first in a transaction of its own; the count is reset however ``work`` ends (unless its
    process dies). After ``MAX_ATTEMPTS`` starts without an end, ``work`` is not run again:
    the meeting's ``write_error`` tells staff, and ``given_up`` is returned."""
    context = _context(task)
    if not _start_write(context, booking_id, task.name):
        log.error("%s(%s) given up: %d attempts in a row killed their worker", task.name, booking_id, MAX_ATTEMPTS)
        return given_up
    try:
        result = work(context)
    except Exception:
        _end_write(context, booking_id)
        raise
    _end_write(context, booking_id)
    return result


def _start_write(context: ServiceContext, booking_id: str, task_name: str) -> bool:
    """Count the start of a calendar write; False when it is given up (recorded for staff,
    and the count reset: a later change of the meeting gets its own attempts)."""
    with context.db.transaction() as session:
        meeting = session.get(BookedMeeting, booking_id, with_for_update=True)
        if meeting is None:
            return True  # the task finds nothing to write
        if meeting.write_attempts >= MAX_ATTEMPTS:
            verb = WRITE_VERBS.get(task_name, "skrives i")
            meeting.write_error = (
                f"Mødet kunne ikke {verb} rådgiverens kalender: arbejdsprocessen stoppede undervejs "
                f"{MAX_ATTEMPTS} gange i træk (for meget hukommelse eller tid); der forsøges ikke igen."
            )
            meeting.write_attempts = 0
            return False
        meeting.write_attempts += 1
    return True


def _end_write(context: ServiceContext, booking_id: str) -> None:
    with context.db.transaction() as session:
        session.execute(update(BookedMeeting).where(BookedMeeting.booking_id == booking_id).values(write_attempts=0))


@shared_task(
    bind=True,
    base=WriteBookingTask,
    name="calendar_sync.write_booking",
    autoretry_for=(UpstreamUnavailable,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=WRITE_MAX_RETRIES,
)
def write_booking(self: Task, booking_id: str) -> str | None:
    """Put the booked meeting into the advisor's calendar once; returns its href.

    A meeting written before, or a 412 because the event exists (a redelivery), is done.
    A refused write (login, rights) is recorded at once: retrying cannot fix it. A write
    whose worker died under it ``MAX_ATTEMPTS`` times is given up (``counted_write``).
    """
    return counted_write(self, booking_id, lambda context: _write_booking(self, context, booking_id), None)


def _write_booking(task: Task, context: ServiceContext, booking_id: str) -> str | None:
    with context.db.transaction() as session:
        meeting = session.get(BookedMeeting, booking_id)
        if meeting is None or meeting.written_at is not None:
            return meeting.calendar_href if meeting is not None else None
        if meeting.cancelled_at is not None:  # cancelled while this write waited: never put it back
            return None
        advisor = session.get(AdvisorCalendar, meeting.advisor_id)
        booking = BookingPayload.model_validate(meeting.payload)
        stamp, digest = meeting.created_at, event_digest(meeting.payload)
    if advisor is None or not advisor.caldav_url:
        _record_write(
            context, booking_id, write_error="Rådgiveren har ingen kalender tilknyttet; mødet er ikke skrevet."
        )
        return None
    try:
        account = sync.advisor_account(context, advisor)
        assert account is not None
        with CalDAVCalendar(account, request_limits(context.settings)) as calendar:
            href, etag = calendar.put_event(meeting_uid(booking_id), meeting_event(booking, stamp=stamp))
    except UpstreamUnavailable as exc:
        _record_write(context, booking_id, write_error=f"Forsøg {task.request.retries + 1}: {exc.detail}")
        raise
    except PlannerError as exc:
        _record_write(context, booking_id, write_error=exc.detail)
        return None
    _record_write(
        context, booking_id, calendar_href=href, etag=etag, written_at=utcnow(), write_error=None, written_digest=digest
    )
    return href
