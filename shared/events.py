"""The event envelope and the contracts of every event that crosses services.

An event is JSON: ``{"id", "type", "version", "occurred_at", "payload"}``. Payloads are
validated with the pydantic models below on both sides, so a producer and a consumer
cannot drift apart silently. Add a field: keep the version. Change or remove one: bump it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.timeutil import parse_aware, require_aware, utcnow

ADVISOR_CHANGED = "advisor.changed"
ADVISOR_SYNC_REQUESTED = "advisor.sync_requested"
OFFER_PUBLISHED = "offer.published"
OFFER_CHANGED = "offer.changed"
AVAILABILITY_COMPUTED = "availability.computed"
BOOKING_CREATED = "booking.created"
BOOKING_CANCELLED = "booking.cancelled"
BOOKING_REBOOKED = "booking.rebooked"
CALENDAR_HEALTH_CHANGED = "calendar.health_changed"
BOOKING_CONFLICT_DETECTED = "booking.conflict_detected"
ADVISOR_FREE_TIME_CHANGED = "advisor.free_time_changed"
GROUP_SEATS_CHANGED = "group_meeting.seats_changed"


CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the receiver's clock an event's ``occurred_at`` may lie (clock skew
between hosts). Receivers order some changes by ``occurred_at`` and keep the newest, so a
forged event from the far future would otherwise freeze what it names."""


@dataclass(frozen=True)
class Envelope:
    """One event as it travels: an id for deduplication, a type for routing."""

    type: str
    payload: dict[str, Any]
    version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        require_aware(self.occurred_at, "occurred_at")

    def from_the_future(self, now: datetime, tolerance: timedelta = CLOCK_TOLERANCE) -> bool:
        """Whether ``occurred_at`` lies more than ``tolerance`` after ``now`` (the receiver's
        clock): no genuine event does, so it is refused (``shared.messaging.EventDelivery``)."""
        return self.occurred_at > now + tolerance

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "version": self.version,
            "occurred_at": self.occurred_at.isoformat(),
            "payload": self.payload,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Envelope:
        try:
            return cls(
                id=str(data["id"]),
                type=str(data["type"]),
                version=int(data["version"]),
                occurred_at=parse_aware(str(data["occurred_at"]), "occurred_at"),
                payload=dict(data["payload"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an event envelope: {exc}") from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> Envelope:
        return cls.from_dict(json.loads(text))


class Contract(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    def envelope(self, event_type: str, version: int = 1) -> Envelope:
        return Envelope(type=event_type, version=version, payload=self.model_dump(mode="json"))


class AdvisorCalendarPayload(Contract):
    """``advisor.changed``: what the worker needs to read an advisor's calendar."""

    advisor_id: str
    job_centre_code: str
    name: str
    timezone: str
    caldav_url: str | None
    caldav_username: str | None
    caldav_password_encrypted: str | None
    working_hours: dict[str, list[list[str]]]
    closed_days: list[date] = []
    working_exceptions: dict[str, list[list[str]]] = {}  # ISO date -> ranges; [] = a day off


class AdvisorSyncRequestedPayload(Contract):
    """``advisor.sync_requested``: staff asked to re-read a calendar now."""

    advisor_id: str


class GroupMeetingPayload(Contract):
    """One concrete meeting of a group offer (O-12), inside ``OfferPayload.meetings``:
    ``seats`` is what it holds (the room's capacity or the explicit number), ``extra_seats``
    those kept for citizens who rebook (O-13)."""

    meeting_id: str
    start: AwareDatetime
    end: AwareDatetime
    seats: int
    extra_seats: int = 0
    cancelled: bool = False


class OfferPayload(Contract):
    """``offer.published`` and ``offer.changed``: the offer as booking and the worker see it."""

    offer_id: str
    job_centre_code: str
    name: str
    description: str
    conversation_type: int
    variant: str | None
    meeting_form: Literal["individual", "group"]
    channel: Literal["video", "in_person", "phone"]
    place: str | None
    phone: str | None
    duration_minutes: int
    reporting_minutes: int
    start_minutes: list[int]
    first_meeting_date: date
    end_date: date | None
    rolling_weeks: int | None
    opens_on: date
    timezone: str
    advisor_ids: list[str]
    citizen_may_choose_advisor: bool
    accept_cancellation: bool
    rebooking_days_before: int | None
    active: bool
    changed_at: AwareDatetime
    rules: dict[str, Any] | None = None
    """Participant rules (wizard step 3) in the JSON form of ``shared.eligibility``; None in events
    from before rules existed (booking shows such an offer to nobody)."""
    marker_routes: dict[str, list[str]] = {}
    """R-5: person-group marker code -> the advisor ids a citizen with that marker may book."""
    caller: Literal["advisor", "citizen"] | None = None
    """Phone meetings (O-4): the advisor calls the citizen, or the citizen calls ``phone``; None
    in events from before it was asked (the citizen called the number then)."""
    meetings: list[GroupMeetingPayload] = []
    """A group offer's meetings (fællesmøder), cancelled ones too; empty for an individual offer."""


class GroupSeatsPayload(Contract):
    """``group_meeting.seats_changed``: how many seats of a group meeting are taken now (after
    a seat was booked, moved or cancelled). Receivers keep the newest by ``changed_at``.
    Never who took them."""

    offer_id: str
    meeting_id: str
    taken: int
    changed_at: AwareDatetime


class BookableSlot(Contract):
    advisor_id: str
    start: AwareDatetime


class AvailabilityPayload(Contract):
    """``availability.computed``: every bookable start of one offer, per advisor.

    Replaces what the receiver knew of that offer when ``computed_at`` is newer.
    ``calendar_valid_until`` names, per advisor id, until when the calendar data their
    starts were computed from counts as current (their last successful read plus
    ``PLANNER_CALENDAR_STALE_AFTER_SECONDS``): the receiver offers none of that advisor's
    starts after that instant, even when no newer computation ever arrives (the worker is
    down). An advisor without an entry (events from before the field existed) has no bound.
    """

    offer_id: str
    computed_at: AwareDatetime
    window_start: AwareDatetime
    window_end: AwareDatetime
    slots: list[BookableSlot]
    withheld_advisor_ids: list[str] = []
    calendar_valid_until: dict[str, AwareDatetime] = {}


class BookingPayload(Contract):
    """``booking.created``: a meeting to put in the advisor's calendar. Never a CPR number."""

    booking_id: str
    reference: str
    offer_id: str
    offer_name: str
    advisor_id: str
    channel: Literal["video", "in_person", "phone"]
    place: str | None
    phone: str | None
    caller: Literal["advisor", "citizen"] | None = None
    """Phone meetings: who calls (``OfferPayload.caller``)."""
    start: AwareDatetime
    end: AwareDatetime
    occupied_until: AwareDatetime
    group_seats: int | None = None
    """A group meeting's event (the worker's own record, never an event on the broker): its
    seats with the extra ones; None for a citizen's booking."""
    group_taken: int | None = None
    """A group meeting's event: the seats booked, as booking last announced."""


class BookingCancelledPayload(Contract):
    """``booking.cancelled``: the citizen cancelled (B-3); the meeting is no longer busy time
    and its event leaves the advisor's calendar. Never a CPR number."""

    booking_id: str
    offer_id: str
    advisor_id: str
    cancelled_at: AwareDatetime


class BookingRebookedPayload(Contract):
    """``booking.rebooked``: the citizen moved a booking (B-4). The old booking is no longer
    busy time (its event leaves the calendar); ``booking`` is the new one, as in
    ``booking.created``. Never a CPR number."""

    old_booking_id: str
    booking: BookingPayload
    rebooked_at: AwareDatetime


class CalendarHealthPayload(Contract):
    """``calendar.health_changed``: how current an advisor's calendar data is, for staff.

    ``stale`` is true when the last successful read is older than the configured bound;
    the advisor's times are then withdrawn rather than guessed.
    """

    advisor_id: str
    last_attempt_at: AwareDatetime | None
    last_success_at: AwareDatetime | None
    last_error: str | None
    stale: bool
    changed_at: AwareDatetime


def group_event_id(meeting_id: str, advisor_id: str) -> str:
    """The id under which the worker keeps one group meeting in one advisor's calendar (the
    ``booking_id`` of its conflicts): stable, so the event's UID is."""
    return str(uuid.uuid5(uuid.UUID(meeting_id), str(advisor_id)))


class BookingConflictPayload(Contract):
    """``booking.conflict_detected``: the advisor's own calendar got an event over a booked
    meeting (or it went away again: ``resolved``). The booking is never moved or dropped.
    Over a group meeting, ``booking_id`` is ``group_event_id`` of the meeting and advisor."""

    booking_id: str
    advisor_id: str
    start: AwareDatetime
    end: AwareDatetime
    resolved: bool
    detected_at: AwareDatetime


class TimeSpan(Contract):
    start: AwareDatetime
    end: AwareDatetime


class AdvisorFreeTimePayload(Contract):
    """``advisor.free_time_changed``: when an advisor is free, for staff who place group
    meetings (O-12): working time minus the advisor's own calendar minus their booked
    meetings, from ``window_start`` to ``window_end``. Replaces what the receiver knew
    when ``computed_at`` is newer. ``free`` is empty when the calendar data is too old."""

    advisor_id: str
    computed_at: AwareDatetime
    window_start: AwareDatetime
    window_end: AwareDatetime
    free: list[TimeSpan]
    stale: bool = False
