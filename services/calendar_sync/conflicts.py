"""Booked meetings that the advisor's own calendar later got an event over (B-5).

After each successful sync the advisor's busy time from their own calendar (our own
booking events excluded by UID) is compared with the occupations of their booked
meetings inside the synced window. A new overlap records a ``BookingConflict`` and
``booking.conflict_detected`` (resolved=false); an overlap that went away marks it
resolved and publishes resolved=true. The booking itself is never moved or dropped.

A cancelled meeting (cancelled or moved by the citizen) is no busy time and cannot
conflict: it is left out, and a conflict it still had is resolved when the cancellation
is applied (``resolve_cancelled``). Its event, until deleted, is still our own event (by
UID), so it is no conflict for other meetings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.calendar_sync.meeting_event import meeting_uid
from services.calendar_sync.models import (
    AdvisorCalendar,
    BookedMeeting,
    BookingConflict,
    CalendarObject,
    OutboxMessage,
)
from shared.events import BOOKING_CONFLICT_DETECTED, BookingConflictPayload
from shared.intervals import Interval
from shared.outbox import record_event


def _overlaps(occupation: Interval, busy: list[Interval]) -> bool:
    return any(b.start < occupation.end and occupation.start < b.end for b in busy)


def _publish(session: Session, conflict: BookingConflict, resolved: bool, now: datetime) -> None:
    payload = BookingConflictPayload(
        booking_id=conflict.booking_id,
        advisor_id=conflict.advisor_id,
        start=conflict.start_at,
        end=conflict.end_at,
        resolved=resolved,
        detected_at=now,
    )
    record_event(session, OutboxMessage, payload.envelope(BOOKING_CONFLICT_DETECTED))


def detect_conflicts(session: Session, advisor: AdvisorCalendar, now: datetime) -> list[str]:
    """Bring the advisor's conflicts up to date; returns the booking ids whose state changed."""
    window = advisor.synced_window
    if window is None:
        return []
    meetings = list(
        session.scalars(
            select(BookedMeeting).where(
                BookedMeeting.advisor_id == advisor.advisor_id,
                BookedMeeting.cancelled_at.is_(None),
                BookedMeeting.start_at < window.end,
                BookedMeeting.occupied_until > window.start,
            )
        )
    )
    if not meetings and not session.scalar(
        select(BookingConflict.booking_id).where(BookingConflict.advisor_id == advisor.advisor_id).limit(1)
    ):
        return []
    own_uids = {
        meeting_uid(booking_id)
        for booking_id in session.scalars(
            select(BookedMeeting.booking_id).where(BookedMeeting.advisor_id == advisor.advisor_id)
        )
    }
    busy = [
        interval
        for row in session.scalars(select(CalendarObject).where(CalendarObject.advisor_id == advisor.advisor_id))
        if row.uid not in own_uids
        for interval in row.busy_intervals()
    ]
    existing = {
        row.booking_id: row
        for row in session.scalars(select(BookingConflict).where(BookingConflict.advisor_id == advisor.advisor_id))
    }
    changed: list[str] = []
    for meeting in meetings:
        conflict = existing.get(meeting.booking_id)
        overlapping = _overlaps(meeting.occupation, busy)
        if overlapping and (conflict is None or conflict.resolved_at is not None):
            if conflict is None:
                conflict = BookingConflict(booking_id=meeting.booking_id, advisor_id=advisor.advisor_id)
                session.add(conflict)
            conflict.start_at, conflict.end_at = meeting.start_at, meeting.end_at
            conflict.detected_at, conflict.resolved_at = now, None
            _publish(session, conflict, resolved=False, now=now)
            changed.append(meeting.booking_id)
        elif not overlapping and conflict is not None and conflict.resolved_at is None:
            conflict.resolved_at = now
            _publish(session, conflict, resolved=True, now=now)
            changed.append(meeting.booking_id)
    return changed


def resolve_cancelled(session: Session, booking_id: str, now: datetime) -> None:
    """The meeting was cancelled or moved: an open conflict of it is resolved at once."""
    conflict = session.get(BookingConflict, booking_id, with_for_update=True)
    if conflict is not None and conflict.resolved_at is None:
        conflict.resolved_at = now
        _publish(session, conflict, resolved=True, now=now)
