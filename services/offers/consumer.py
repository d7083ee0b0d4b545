"""The events the offers service applies: calendar health, booking conflicts and advisors'
free time, all from the calendar-sync worker, so staff can see and use them.

Each event is applied once (``apply_once`` records its id in the same transaction). Events
arrive in any order: a report older than the one stored changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from services.offers.models import Advisor, AdvisorFreeTime, CalendarConflict, GroupMeeting, ProcessedEvent
from shared import events as ev
from shared.events import Envelope
from shared.outbox import apply_known_event
from shared.service import ServiceContext

log = logging.getLogger(__name__)

SUPPORTED_VERSION = 1


def apply_calendar_health(session: Session, envelope: Envelope) -> None:
    """Store the advisor's calendar health, unless a report as new or newer is stored."""
    payload = ev.CalendarHealthPayload.model_validate(envelope.payload)
    advisor_id = uuid.UUID(payload.advisor_id)
    advisor = session.get(Advisor, advisor_id, with_for_update=True)
    if advisor is None:
        log.warning("ignoring %s %s: no advisor %s", envelope.type, envelope.id, advisor_id)
        return
    known = advisor.calendar_health_changed_at
    if known is not None and known >= payload.changed_at:
        log.info("ignoring %s %s: advisor %s has a newer report", envelope.type, envelope.id, advisor_id)
        return
    advisor.calendar_last_attempt_at = payload.last_attempt_at
    advisor.calendar_last_success_at = payload.last_success_at
    advisor.calendar_last_error = payload.last_error
    advisor.calendar_stale = payload.stale
    advisor.calendar_health_changed_at = payload.changed_at


def apply_booking_conflict(session: Session, envelope: Envelope) -> None:
    """Record (or resolve) the conflict of one booking with its advisor's own calendar.

    One row per booking. A conflict that comes back after it was resolved is open again
    from its new ``detected_at``; a report older than the stored one changes nothing.
    """
    payload = ev.BookingConflictPayload.model_validate(envelope.payload)
    booking_id = uuid.UUID(payload.booking_id)
    at = payload.detected_at
    conflict = session.get(CalendarConflict, booking_id, with_for_update=True)
    if conflict is not None and conflict.changed_at > at:
        log.info("ignoring %s %s: booking %s has a newer report", envelope.type, envelope.id, booking_id)
        return
    if conflict is None:
        conflict = CalendarConflict(booking_id=booking_id, detected_at=at)
        session.add(conflict)
    elif not payload.resolved and conflict.resolved_at is not None:
        conflict.detected_at = at  # back again: open to staff again too
        conflict.handled_at = conflict.handled_by = conflict.handled_by_name = None
    conflict.advisor_id = uuid.UUID(payload.advisor_id)
    conflict.start_at = payload.start
    conflict.end_at = payload.end
    conflict.resolved_at = at if payload.resolved else None
    conflict.changed_at = at


def apply_free_time(session: Session, envelope: Envelope) -> None:
    """Keep the advisor's latest free time (O-12), unless a newer one is stored."""
    payload = ev.AdvisorFreeTimePayload.model_validate(envelope.payload)
    advisor_id = uuid.UUID(payload.advisor_id)
    row = session.get(AdvisorFreeTime, advisor_id, with_for_update=True)
    if row is not None and row.computed_at >= payload.computed_at:
        log.info("ignoring %s %s: advisor %s has newer free time", envelope.type, envelope.id, advisor_id)
        return
    if row is None:
        row = AdvisorFreeTime(advisor_id=advisor_id)
        session.add(row)
    row.computed_at, row.stale = payload.computed_at, payload.stale
    row.window_start, row.window_end = payload.window_start, payload.window_end
    row.free = [[span.start.isoformat(), span.end.isoformat()] for span in payload.free]


def apply_seats(session: Session, envelope: Envelope) -> None:
    """The taken seats of a group meeting, as booking counted them (the newest count wins)."""
    payload = ev.GroupSeatsPayload.model_validate(envelope.payload)
    meeting = session.get(GroupMeeting, uuid.UUID(payload.meeting_id), with_for_update=True)
    if meeting is None or (meeting.taken_changed_at is not None and meeting.taken_changed_at >= payload.changed_at):
        return
    meeting.taken, meeting.taken_changed_at = payload.taken, payload.changed_at


APPLIERS: dict[str, Callable[[Session, Envelope], None]] = {
    ev.CALENDAR_HEALTH_CHANGED: apply_calendar_health,
    ev.BOOKING_CONFLICT_DETECTED: apply_booking_conflict,
    ev.ADVISOR_FREE_TIME_CHANGED: apply_free_time,
    ev.GROUP_SEATS_CHANGED: apply_seats,
}


def handle(context: ServiceContext, envelope: Envelope) -> bool:
    """Apply one incoming event; True when it was applied, False when skipped (see
    shared.outbox.apply_known_event)."""
    return apply_known_event(context.db, ProcessedEvent, APPLIERS, envelope, SUPPORTED_VERSION)
