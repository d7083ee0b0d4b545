"""Incoming events: update the worker's read models once, then start the follow-up tasks.

The change is applied with ``apply_once`` (a redelivered event is skipped). The tasks are
sent only after that transaction committed, and also for a redelivered event: a crash
between the commit and the sending must not lose a sync, a computation or a calendar
write, and every task is idempotent.

A cancellation (``booking.cancelled``) marks the booked meeting cancelled (no longer
busy time), recomputes the advisor's offers and deletes its event (``delete_booking``,
If-Match). A rebooking (``booking.rebooked``) marks the old meeting cancelled and stores
the new one like ``booking.created``; in the calendar the new meeting is written as a new
event (its own UID, ``write_booking``) and then the old event is deleted. That one way
serves a move to another advisor as well as to the same one, keeps one event per booking
(the UID names the booking), and each step is an idempotent task already in use; the
advisor sees the meeting move, never two meetings for long, never none.

In the demo (``celery_eager``) the tasks run right here, in the consumer's thread.

Advisors' calendar settings are ordered by the event's ``occurred_at``. An event claiming to
come from more than ``CLOCK_TOLERANCE`` in the future never gets here (``EventDelivery``
rejects it), and a stored change that lies that far ahead (one applied before the check
existed) does not hold back a genuine change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.calendar_sync import runtime
from services.calendar_sync.compute import offers_of_advisor
from services.calendar_sync.conflicts import resolve_cancelled
from services.calendar_sync.models import (
    AdvisorCalendar,
    BookedMeeting,
    CalendarObject,
    EarlyCancellation,
    OfferSchedule,
    ProcessedEvent,
)
from shared import events as ev
from shared.events import CLOCK_TOLERANCE, Envelope, group_event_id
from shared.outbox import apply_once
from shared.service import ServiceContext
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

SYNC_ADVISOR = "calendar_sync.sync_advisor"
COMPUTE_OFFER = "calendar_sync.compute_offer"
WRITE_BOOKING = "calendar_sync.write_booking"
UPDATE_BOOKING = "calendar_sync.update_booking"
DELETE_BOOKING = "calendar_sync.delete_booking"
PUBLISH_FREE_TIME = "calendar_sync.publish_free_time"


FollowUp = tuple[str, tuple[Any, ...]]


def apply_advisor_changed(session: Session, envelope: Envelope) -> None:
    """Store the advisor's calendar settings unless a newer change was applied already.

    A stored change dated beyond this host's clock (plus ``CLOCK_TOLERANCE``) counts as
    forged, not newer. A different calendar (URL or user) makes the cached busy time
    worthless: it is dropped, and the advisor is withheld from offers until the new
    calendar was read.
    """
    payload = ev.AdvisorCalendarPayload.model_validate(envelope.payload)
    row = session.get(AdvisorCalendar, payload.advisor_id)
    if row is not None and envelope.occurred_at < row.changed_at <= utcnow() + CLOCK_TOLERANCE:
        return
    if row is None:
        row = AdvisorCalendar(advisor_id=payload.advisor_id)
        session.add(row)
    elif (row.caldav_url, row.caldav_username) != (payload.caldav_url, payload.caldav_username):
        session.execute(delete(CalendarObject).where(CalendarObject.advisor_id == payload.advisor_id))
        row.busy_version += 1
        row.last_success_at = row.synced_from = row.synced_until = row.last_error = None
        row.sync_method = row.sync_token = row.ctag = None  # what the old server supported says nothing
    row.job_centre_code, row.name, row.timezone = payload.job_centre_code, payload.name, payload.timezone
    row.caldav_url, row.caldav_username = payload.caldav_url, payload.caldav_username
    row.caldav_password_encrypted = payload.caldav_password_encrypted
    row.working_hours = payload.working_hours
    row.closed_days = [day.isoformat() for day in payload.closed_days]
    row.working_exceptions = payload.working_exceptions
    row.changed_at = envelope.occurred_at


def apply_offer(session: Session, envelope: Envelope) -> None:
    """Store the offer unless the stored version is as new or newer (``changed_at``)."""
    payload = ev.OfferPayload.model_validate(envelope.payload)
    row = session.get(OfferSchedule, payload.offer_id)
    if row is not None and row.changed_at >= payload.changed_at:
        return
    if row is None:
        row = OfferSchedule(offer_id=payload.offer_id)
        session.add(row)
    row.payload = payload.model_dump(mode="json")
    row.advisor_ids = list(payload.advisor_ids)
    row.active = payload.active
    row.changed_at = payload.changed_at
    if payload.meeting_form == "group":
        _store_group_meetings(session, payload)


def _store_group_meetings(session: Session, offer: ev.OfferPayload) -> None:
    """Each meeting of a group offer, once per advisor, as a ``BookedMeeting``: busy time of
    that advisor in every offer (reporting time included) and an event in their calendar. A
    moved meeting moves its rows; a cancelled one, or one of an advisor taken off the
    offer, is cancelled (its events are deleted)."""
    reporting = timedelta(minutes=offer.reporting_minutes)
    wanted: set[str] = set()
    for meeting in offer.meetings:
        for advisor_id in offer.advisor_ids:
            row_id = group_event_id(meeting.meeting_id, advisor_id)
            wanted.add(row_id)
            row = session.get(BookedMeeting, row_id, with_for_update=True)
            taken = row.payload.get("group_taken") if row is not None else None
            event = ev.BookingPayload(
                booking_id=row_id, reference="", offer_id=offer.offer_id, offer_name=offer.name,
                advisor_id=advisor_id, channel=offer.channel, place=offer.place, phone=offer.phone,
                start=meeting.start, end=meeting.end, occupied_until=meeting.end + reporting,
                group_seats=meeting.seats + meeting.extra_seats, group_taken=taken,
            )  # fmt: skip
            if row is None:
                row = BookedMeeting(booking_id=row_id, advisor_id=advisor_id, offer_id=offer.offer_id)
                session.add(row)
            row.start_at, row.end_at, row.occupied_until = event.start, event.end, event.occupied_until
            row.payload = {**event.model_dump(mode="json"), "meeting_id": meeting.meeting_id}
            if meeting.cancelled and row.cancelled_at is None:
                row.cancelled_at = offer.changed_at
                resolve_cancelled(session, row_id, offer.changed_at)
    stale = select(BookedMeeting).where(BookedMeeting.offer_id == offer.offer_id, BookedMeeting.cancelled_at.is_(None))
    for row in session.scalars(stale):
        if row.booking_id not in wanted:  # an advisor no longer on the offer
            row.cancelled_at = offer.changed_at
            resolve_cancelled(session, row.booking_id, offer.changed_at)


def apply_group_seats(session: Session, envelope: Envelope) -> None:
    """The seats booked at a group meeting go into the text of its advisors' events (newest
    count wins)."""
    payload = ev.GroupSeatsPayload.model_validate(envelope.payload)
    changed = payload.changed_at.isoformat()
    for row in _group_rows(session, payload.offer_id, payload.meeting_id):
        if str(row.payload.get("group_taken_at") or "") >= changed:
            continue
        row.payload = {**row.payload, "group_taken": payload.taken, "group_taken_at": changed}


def _group_rows(session: Session, offer_id: str, meeting_id: str | None = None) -> list[BookedMeeting]:
    rows = session.scalars(select(BookedMeeting).where(BookedMeeting.offer_id == offer_id)).all()
    return [row for row in rows if meeting_id is None or row.payload.get("meeting_id") == meeting_id]


def apply_booking_created(session: Session, envelope: Envelope) -> None:
    """Store the booked meeting: busy time of its advisor in every offer from now on."""
    _store_meeting(session, ev.BookingPayload.model_validate(envelope.payload))


def _store_meeting(session: Session, payload: ev.BookingPayload) -> None:
    """Store the booked meeting once; cancelled already if its cancellation came first."""
    if session.get(BookedMeeting, payload.booking_id) is not None:
        return
    early = session.get(EarlyCancellation, payload.booking_id)
    session.add(
        BookedMeeting(
            booking_id=payload.booking_id,
            advisor_id=payload.advisor_id,
            offer_id=payload.offer_id,
            start_at=payload.start,
            end_at=payload.end,
            occupied_until=payload.occupied_until,
            payload=payload.model_dump(mode="json"),
            cancelled_at=early.cancelled_at if early is not None else None,
        )
    )


def _cancel_meeting(session: Session, booking_id: str, cancelled_at: datetime) -> None:
    """Mark the meeting cancelled. A cancellation that overtook its ``booking.created``
    (a redelivery can reorder them) is remembered, so the meeting arrives cancelled and is
    never written into the calendar; the event itself is done with, not delivered again."""
    meeting = session.get(BookedMeeting, booking_id, with_for_update=True)
    if meeting is None:
        if session.get(EarlyCancellation, booking_id) is None:
            session.add(EarlyCancellation(booking_id=booking_id, cancelled_at=cancelled_at))
        return
    if meeting.cancelled_at is None:
        meeting.cancelled_at = cancelled_at
        resolve_cancelled(session, booking_id, cancelled_at)


def apply_booking_cancelled(session: Session, envelope: Envelope) -> None:
    """Mark the booked meeting cancelled: from now on it is no busy time (B-3)."""
    payload = ev.BookingCancelledPayload.model_validate(envelope.payload)
    _cancel_meeting(session, payload.booking_id, payload.cancelled_at)


def apply_booking_rebooked(session: Session, envelope: Envelope) -> None:
    """Mark the old meeting cancelled and store the new one (B-4)."""
    payload = ev.BookingRebookedPayload.model_validate(envelope.payload)
    _cancel_meeting(session, payload.old_booking_id, payload.rebooked_at)
    _store_meeting(session, payload.booking)


APPLY: dict[str, Callable[[Session, Envelope], None]] = {
    ev.ADVISOR_CHANGED: apply_advisor_changed,
    ev.OFFER_PUBLISHED: apply_offer,
    ev.OFFER_CHANGED: apply_offer,
    ev.BOOKING_CREATED: apply_booking_created,
    ev.BOOKING_CANCELLED: apply_booking_cancelled,
    ev.BOOKING_REBOOKED: apply_booking_rebooked,
    ev.GROUP_SEATS_CHANGED: apply_group_seats,
}


def _apply(session: Session, envelope: Envelope) -> None:
    apply = APPLY.get(envelope.type)
    if apply is None:
        return
    try:
        apply(session, envelope)
    except ValidationError as exc:  # a message that can never be applied: record it as seen, do not loop
        log.error("ignoring %s %s with an invalid payload: %s", envelope.type, envelope.id, exc)


def follow_ups(context: ServiceContext, envelope: Envelope) -> list[FollowUp]:
    """The tasks an event starts (derived from the event, so a redelivery starts them again)."""
    payload = envelope.payload
    try:
        if envelope.type in (ev.ADVISOR_CHANGED, ev.ADVISOR_SYNC_REQUESTED):
            advisor_id = ev.AdvisorSyncRequestedPayload.model_validate(payload).advisor_id
            return [(SYNC_ADVISOR, (advisor_id, True))]
        if envelope.type in (ev.OFFER_PUBLISHED, ev.OFFER_CHANGED):
            offer = ev.OfferPayload.model_validate(payload)
            if offer.meeting_form == "group":
                return _group_writes(context, offer.offer_id)
            return [(COMPUTE_OFFER, (offer.offer_id,))]
        if envelope.type == ev.GROUP_SEATS_CHANGED:
            seats = ev.GroupSeatsPayload.model_validate(payload)
            return _group_writes(context, seats.offer_id, seats.meeting_id, recompute=False)
        if envelope.type == ev.BOOKING_CREATED:
            booking = ev.BookingPayload.model_validate(payload)
            return [*_computes(context, booking.advisor_id, booking.offer_id), (WRITE_BOOKING, (booking.booking_id,))]
        if envelope.type == ev.BOOKING_CANCELLED:
            cancelled = ev.BookingCancelledPayload.model_validate(payload)
            return [
                *_computes(context, cancelled.advisor_id, cancelled.offer_id),
                (DELETE_BOOKING, (cancelled.booking_id,)),
            ]
        if envelope.type == ev.BOOKING_REBOOKED:
            rebooked = ev.BookingRebookedPayload.model_validate(payload)
            new = rebooked.booking
            with context.db.transaction() as session:
                old = session.get(BookedMeeting, rebooked.old_booking_id)
                old_advisor = old.advisor_id if old is not None else new.advisor_id
            return [
                *_computes(context, old_advisor, new.offer_id, also_advisor=new.advisor_id),
                (WRITE_BOOKING, (new.booking_id,)),
                (DELETE_BOOKING, (rebooked.old_booking_id,)),
            ]
    except ValidationError:
        return []
    return []


def _group_writes(
    context: ServiceContext, offer_id: str, meeting_id: str | None = None, *, recompute: bool = True
) -> list[FollowUp]:
    """The calendar writes of a group offer's meetings (of one meeting): a new event, the
    event written again (moved, renamed, seats), or deleted; then, with ``recompute``, every
    offer of their advisors computed again (the meetings are busy time there)."""
    with context.db.transaction() as session:
        rows = _group_rows(session, offer_id, meeting_id)
        writes: list[FollowUp] = []
        for row in sorted(rows, key=lambda r: r.booking_id):
            if row.cancelled_at is not None:
                task = DELETE_BOOKING
            else:
                task = UPDATE_BOOKING if row.written_at else WRITE_BOOKING
            writes.append((task, (row.booking_id,)))
        advisors = sorted({row.advisor_id for row in rows})
        offer_ids = {offer_id}.union(*(offers_of_advisor(session, a) for a in advisors)) if recompute else set()
    computes = [(COMPUTE_OFFER, (o,)) for o in sorted(offer_ids)]
    return [*writes, *computes, *((PUBLISH_FREE_TIME, (a,)) for a in (advisors if recompute else []))]


def _computes(
    context: ServiceContext, advisor_id: str, offer_id: str, also_advisor: str | None = None
) -> list[FollowUp]:
    """Compute every offer of the advisor(s) again, and the booking's own offer, and
    announce the advisor(s)' free time (for group meetings)."""
    advisor_ids = [advisor_id] if also_advisor in (None, advisor_id) else [advisor_id, also_advisor]
    with context.db.transaction() as session:
        offer_ids = {offer_id}.union(*(offers_of_advisor(session, a) for a in advisor_ids))
    return [
        *((COMPUTE_OFFER, (offer_id,)) for offer_id in sorted(offer_ids)),
        *((PUBLISH_FREE_TIME, (a,)) for a in advisor_ids),
    ]


def handle(context: ServiceContext, envelope: Envelope) -> None:
    """Apply ``envelope`` once, then send its follow-up tasks (after the commit)."""
    applied = apply_once(context.db, ProcessedEvent, envelope, _apply)
    if not applied:
        log.info("event %s %s was applied before; sending its tasks again", envelope.type, envelope.id)
    # a seat count changes often (a popular meeting fills in minutes): its writes wait a
    # little, and the first to run writes the count of then, the others find it written
    wait = context.settings.group_seats_write_delay_seconds if envelope.type == ev.GROUP_SEATS_CHANGED else None
    for task_name, args in follow_ups(context, envelope):
        runtime.enqueue(context.settings, task_name, *args, countdown=wait)
