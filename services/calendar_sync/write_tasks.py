"""Celery tasks that change or remove a booked meeting's event (rebooking, cancellation).

Both are idempotent: a redelivered update finds the event saying what it would write (the
payload's digest, ``written_digest``) and writes nothing; a redelivered delete finds the
event gone (404) and is done.

The consumer deletes the event of a cancelled booking, and of the old booking of a
rebooking (whose new booking gets its own event from ``write_booking``; see
``consumer``). ``update_booking`` stays for changes of a meeting that keeps its booking
id; it never writes a cancelled meeting back.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from celery import Task, shared_task

from services.calendar_sync import sync
from services.calendar_sync.caldav_client import CalDAVCalendar, request_limits
from services.calendar_sync.caldav_writes import delete_event, update_event
from services.calendar_sync.meeting_event import event_digest, meeting_event, meeting_uid
from services.calendar_sync.models import AdvisorCalendar, BookedMeeting
from services.calendar_sync.tasks import WRITE_MAX_RETRIES, WriteBookingTask, _record_write, counted_write
from shared.errors import PlannerError, UpstreamUnavailable
from shared.events import BookingPayload
from shared.service import ServiceContext
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

RETRYING: dict[str, Any] = {
    "autoretry_for": (UpstreamUnavailable,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": WRITE_MAX_RETRIES,
}


def _load(context: ServiceContext, booking_id: str) -> tuple[BookedMeeting, AdvisorCalendar] | None:
    with context.db.transaction() as session:
        meeting = session.get(BookedMeeting, booking_id)
        advisor = session.get(AdvisorCalendar, meeting.advisor_id) if meeting is not None else None
    if meeting is None or advisor is None or not advisor.caldav_url:
        return None
    return meeting, advisor


def _href(calendar: CalDAVCalendar, meeting: BookedMeeting) -> str:
    return meeting.calendar_href or calendar.url + quote(f"{meeting_uid(meeting.booking_id)}.ics", safe="@")


def _open(context: ServiceContext, advisor: AdvisorCalendar) -> CalDAVCalendar:
    account = sync.advisor_account(context, advisor)
    assert account is not None
    return CalDAVCalendar(account, request_limits(context.settings))


@shared_task(bind=True, base=WriteBookingTask, name="calendar_sync.update_booking", **RETRYING)
def update_booking(self: Task, booking_id: str) -> str | None:
    """Write the booked meeting as it is now over its event (If-Match with the stored
    ETag; on 412 the ETag is read again and the write retried once); returns the href.
    Given up after ``MAX_ATTEMPTS`` attempts whose worker died (``counted_write``)."""
    return counted_write(self, booking_id, lambda context: _update_booking(self, context, booking_id), None)


def _update_booking(task: Task, context: ServiceContext, booking_id: str) -> str | None:
    loaded = _load(context, booking_id)
    if loaded is None:
        return None
    meeting, advisor = loaded
    if meeting.cancelled_at is not None:
        log.info("booking %s is cancelled; its event is not written again", booking_id)
        return None
    digest = event_digest(meeting.payload)
    if meeting.etag is not None and meeting.written_digest == digest:
        log.info("booking %s: its event says this already; not written again", booking_id)
        return meeting.calendar_href
    text = meeting_event(BookingPayload.model_validate(meeting.payload), stamp=utcnow())
    try:
        with _open(context, advisor) as calendar:
            href = _href(calendar, meeting)
            etag = update_event(calendar, href, text, meeting.etag)
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


@shared_task(bind=True, base=WriteBookingTask, name="calendar_sync.delete_booking", **RETRYING)
def delete_booking(self: Task, booking_id: str) -> bool:
    """Remove the booked meeting's event (If-Match; 404 = gone already). True when this
    call deleted it. The worker's record of the booking stays (its cancellation is the
    consumer's business); only the note of the written event is cleared. No re-read of
    the calendar is needed: our own events never count as busy time (``expansion``), the
    time is free as soon as the consumer marked the meeting cancelled. A meeting that is not
    cancelled is never deleted (a forged or stale task): False, and the event stays. Given
    up after ``MAX_ATTEMPTS`` attempts whose worker died (``counted_write``)."""
    return counted_write(self, booking_id, lambda context: _delete_booking(self, context, booking_id), False)


def _delete_booking(task: Task, context: ServiceContext, booking_id: str) -> bool:
    loaded = _load(context, booking_id)
    if loaded is None:
        return False
    meeting, advisor = loaded
    if meeting.cancelled_at is None:
        # Only a cancellation (booking.cancelled / booking.rebooked) ends a meeting: a task
        # for an active one is forged or stale, and the citizen's meeting stays in the calendar.
        log.warning("refused to delete the event of booking %s: the booking is not cancelled", booking_id)
        return False
    try:
        with _open(context, advisor) as calendar:
            deleted = delete_event(calendar, _href(calendar, meeting), meeting.etag)
    except UpstreamUnavailable as exc:
        _record_write(context, booking_id, write_error=f"Forsøg {task.request.retries + 1}: {exc.detail}")
        raise
    except PlannerError as exc:
        _record_write(context, booking_id, write_error=exc.detail)
        return False
    _record_write(context, booking_id, etag=None, written_at=None, write_error=None)
    return deleted
