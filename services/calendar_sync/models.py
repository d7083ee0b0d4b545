"""Tables of the calendar-sync worker: what it knows of advisors, offers and bookings
(read models fed by events) and its cache of each calendar object's busy time.

Busy intervals are stored as ``[[start, end], ...]`` ISO-8601 strings with offsets; every
datetime column is an ``AwareDateTime``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import AwareDateTime, make_metadata
from shared.intervals import Interval
from shared.outbox import OutboxMixin, ProcessedEventMixin
from shared.timeutil import parse_aware, utcnow

ID = String(64)


class Base(DeclarativeBase):
    metadata = make_metadata()


class AdvisorCalendar(Base):
    """An advisor as ``advisor.changed`` last described them, and how their calendar sync went."""

    __tablename__ = "advisor_calendar"

    advisor_id: Mapped[str] = mapped_column(ID, primary_key=True)
    job_centre_code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    caldav_url: Mapped[str | None] = mapped_column(String(2000))
    caldav_username: Mapped[str | None] = mapped_column(String(200))
    caldav_password_encrypted: Mapped[str | None] = mapped_column(Text)
    working_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    closed_days: Mapped[list[str]] = mapped_column(JSON)
    working_exceptions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime())
    """When the applied ``advisor.changed`` event occurred (an older one is ignored)."""
    last_attempt_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    synced_from: Mapped[datetime | None] = mapped_column(AwareDateTime())
    synced_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    """The window the cached busy time covers (of the last successful sync)."""
    sync_method: Mapped[str | None] = mapped_column(String(20))
    """How this advisor's server is read: sync-token, ctag or query (the server answers
    calendar-query), else etag or etag-get (ETag listing, then multiget or GET); None: not
    yet known. See ``reading``."""
    sync_token: Mapped[str | None] = mapped_column(Text)
    ctag: Mapped[str | None] = mapped_column(String(500))
    health_stale: Mapped[bool | None] = mapped_column(Boolean)
    health_error: Mapped[str | None] = mapped_column(Text)
    """Stale flag and error as last published in ``calendar.health_changed``."""
    health_published_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    busy_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Raised with every change of the advisor's cached busy time (``CalendarObject`` rows);
    a worker's in-memory copy of that time is good only while its version matches."""
    sync_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Syncs started (each counted in a transaction of its own before it reads anything) and
    not finished since the last one that finished: a worker that was killed (memory, time
    limit) never finishes. At ``tasks.MAX_ATTEMPTS`` the calendar is paused (dead-lettered)."""

    @property
    def synced_window(self) -> Interval | None:
        if self.synced_from is None or self.synced_until is None:
            return None
        return Interval(self.synced_from, self.synced_until)


class CalendarObject(Base):
    """One object (href) of an advisor's calendar and its busy time over the sync window."""

    __tablename__ = "calendar_object"

    advisor_id: Mapped[str] = mapped_column(ID, primary_key=True)
    href: Mapped[str] = mapped_column(String(2000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    uid: Mapped[str | None] = mapped_column(String(500))
    busy: Mapped[list[list[str]]] = mapped_column(JSON)
    window_start: Mapped[datetime] = mapped_column(AwareDateTime())
    window_end: Mapped[datetime] = mapped_column(AwareDateTime())
    """The window ``busy`` was expanded over; another window means expanding again."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why the object could not be read (it then counts as no busy time)."""
    synced_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    def busy_intervals(self) -> list[Interval]:
        return intervals_from_json(self.busy)


class OfferSchedule(Base):
    """An offer as the last ``offer.published`` / ``offer.changed`` described it."""

    __tablename__ = "offer_schedule"

    offer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The ``OfferPayload`` as JSON."""
    advisor_ids: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime())


class BookedMeeting(Base):
    """A booking from ``booking.created``: busy time of its advisor in every offer, and the
    meeting to write into the advisor's calendar."""

    __tablename__ = "booked_meeting"
    __table_args__ = (Index("ix_booked_meeting_advisor_time", "advisor_id", "start_at"),)

    booking_id: Mapped[str] = mapped_column(ID, primary_key=True)
    advisor_id: Mapped[str] = mapped_column(ID)
    offer_id: Mapped[str] = mapped_column(ID)
    start_at: Mapped[datetime] = mapped_column(AwareDateTime())
    end_at: Mapped[datetime] = mapped_column(AwareDateTime())
    occupied_until: Mapped[datetime] = mapped_column(AwareDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The ``BookingPayload`` as JSON (it carries no CPR number)."""
    calendar_href: Mapped[str | None] = mapped_column(String(2000))
    etag: Mapped[str | None] = mapped_column(String(500))
    written_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    written_digest: Mapped[str | None] = mapped_column(String(64))
    """``meeting_event.event_digest`` of the payload last written: an update that would write
    the same event again is skipped (a burst of seat changes at a group meeting)."""
    write_error: Mapped[str | None] = mapped_column(Text)
    write_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Calendar writes of this meeting (write, update, delete) started and not finished, as
    ``AdvisorCalendar.sync_attempts``: at ``tasks.MAX_ATTEMPTS`` the write is given up."""
    cancelled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    """Set by ``booking.cancelled``: the meeting is no longer busy time; its event is deleted."""
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    @property
    def occupation(self) -> Interval:
        return Interval(self.start_at, self.occupied_until)


class EarlyCancellation(Base):
    """A ``booking.cancelled`` (or the old booking of a ``booking.rebooked``) that arrived
    before the ``booking.created`` of its booking: the meeting is stored cancelled when it
    comes, and never written into the calendar."""

    __tablename__ = "early_cancellation"

    booking_id: Mapped[str] = mapped_column(ID, primary_key=True)
    cancelled_at: Mapped[datetime] = mapped_column(AwareDateTime())


class BookingConflict(Base):
    """A booked meeting the advisor's own calendar has an event over (B-5); the booking
    itself is never moved or dropped. ``resolved_at`` is set when the overlap went away."""

    __tablename__ = "booking_conflict"
    __table_args__ = (Index("ix_booking_conflict_advisor", "advisor_id"),)

    booking_id: Mapped[str] = mapped_column(ID, primary_key=True)
    advisor_id: Mapped[str] = mapped_column(ID)
    start_at: Mapped[datetime] = mapped_column(AwareDateTime())
    end_at: Mapped[datetime] = mapped_column(AwareDateTime())
    detected_at: Mapped[datetime] = mapped_column(AwareDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class OutboxMessage(OutboxMixin, Base):
    pass


class ProcessedEvent(ProcessedEventMixin, Base):
    pass


def intervals_to_json(intervals: list[Interval]) -> list[list[str]]:
    return [[i.start.isoformat(), i.end.isoformat()] for i in intervals]


def intervals_from_json(data: list[list[str]]) -> list[Interval]:
    return [Interval(parse_aware(start), parse_aware(end)) for start, end in data]
