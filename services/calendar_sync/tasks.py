"""The worker's Celery tasks: ids in, JSON out, explicit names, idempotent.

``sync_advisor`` reads a calendar and then computes that advisor's offers again and
announces their free time (``publish_free_time``) when it changed, and at least once per
half ``calendar_stale_after_seconds`` while reads succeed (so booking's bound on the
calendar data, ``calendar_valid_until``, is renewed before it lapses);
``compute_offer`` records ``availability.computed`` in the outbox and relays it at once;
``write_booking`` puts the booked meeting into the advisor's calendar, retrying while
the calendar server does not answer and recording the final failure for staff to see.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from celery import Task, shared_task
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.calendar_sync import sync
from services.calendar_sync.caldav_client import CalDAVCalendar
from services.calendar_sync.compute import compute_offer_availability, validity_renewal_due
from services.calendar_sync.free_time import advisor_free_time
from services.calendar_sync.health import stale_after
from services.calendar_sync.meeting_event import meeting_event, meeting_uid
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

SYNC_MAX_RETRIES = 3
"""A read the calendar server did not answer is tried again after ``sync_retry_seconds``
(15 s), twice and four times that (then the periodic sync takes over); the failure is
recorded for staff each time."""
SYNC_RETRY_MAX_SECONDS = 600

WRITE_MAX_RETRIES = 8
"""Retries of a calendar write (backoff 1, 2, 4 ... s, at most 10 minutes apart)."""


def _context(task: Task) -> ServiceContext:
    return get_context(settings_of(task.app))


@shared_task(bind=True, name="calendar_sync.sync_advisor", max_retries=SYNC_MAX_RETRIES)
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
    attempt no longer sees the change.
    """
    context = _context(self)
    now = utcnow()
    previous_success = _last_success(context, advisor_id)
    outcome = sync.sync_advisor(context, advisor_id, now)
    retry = outcome.transient and self.request.retries < SYNC_MAX_RETRIES
    if retry:  # the retry does the rest
        offer_ids, announce = outcome.affected_offer_ids, outcome.stale_changed
    else:
        renew = outcome.ok and validity_renewal_due(previous_success, now, stale_after(context.settings))
        offer_ids = outcome.offer_ids if recompute or renew else outcome.affected_offer_ids
        announce = outcome.changed or outcome.stale_changed or recompute  # stale: offers learn it has no free time
    for offer_id in offer_ids:
        _here_or_later(self, "calendar_sync.compute_offer", _compute_offer, context, offer_id)
    if announce:
        _here_or_later(self, "calendar_sync.publish_free_time", _publish_free_time, context, advisor_id)
    if retry:  # the server did not answer: try again soon rather than at the next periodic sync
        countdown = context.settings.sync_retry_seconds * 2**self.request.retries
        raise self.retry(countdown=min(countdown, SYNC_RETRY_MAX_SECONDS))
    return {"advisor_id": advisor_id, "ok": outcome.ok, "changed": outcome.changed, "error": outcome.error}


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
    task: Task, name: str, action: Callable[[ServiceContext, str], object], context: ServiceContext, argument: str
) -> None:
    """Run ``action(context, argument)`` now; if it fails, send the task ``name`` to try again."""
    try:
        action(context, argument)
    except Exception:
        log.exception("%s(%s) failed inside the sync; sent as a task of its own", name, argument)
        task.app.tasks[name].delay(argument)


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


class WriteBookingTask(Task):  # type: ignore[misc]
    """Records the final failure of a calendar write on the booked meeting."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        booking_id = args[0] if args else kwargs.get("booking_id")
        detail = exc.detail if isinstance(exc, PlannerError) else str(exc)
        message = f"Mødet kunne ikke skrives i rådgiverens kalender; der forsøges ikke igen: {detail}"
        _record_write(_context(self), str(booking_id), write_error=message)


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
    A refused write (login, rights) is recorded at once: retrying cannot fix it.
    """
    context = _context(self)
    with context.db.transaction() as session:
        meeting = session.get(BookedMeeting, booking_id)
        if meeting is None or meeting.written_at is not None:
            return meeting.calendar_href if meeting is not None else None
        if meeting.cancelled_at is not None:  # cancelled while this write waited: never put it back
            return None
        advisor = session.get(AdvisorCalendar, meeting.advisor_id)
        booking = BookingPayload.model_validate(meeting.payload)
        stamp = meeting.created_at
    if advisor is None or not advisor.caldav_url:
        _record_write(
            context, booking_id, write_error="Rådgiveren har ingen kalender tilknyttet; mødet er ikke skrevet."
        )
        return None
    try:
        account = sync.advisor_account(context, advisor)
        assert account is not None
        with CalDAVCalendar(account, context.settings.caldav_timeout_seconds) as calendar:
            href, etag = calendar.put_event(meeting_uid(booking_id), meeting_event(booking, stamp=stamp))
    except UpstreamUnavailable as exc:
        _record_write(context, booking_id, write_error=f"Forsøg {self.request.retries + 1}: {exc.detail}")
        raise
    except PlannerError as exc:
        _record_write(context, booking_id, write_error=exc.detail)
        return None
    _record_write(context, booking_id, calendar_href=href, etag=etag, written_at=utcnow(), write_error=None)
    return href
