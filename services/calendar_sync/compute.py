"""An offer's bookable starts per advisor, from what the worker has stored (B-1, B-2).

For each advisor of the offer: the booking window of the offer (``BookingPeriod``) for
today, one day wider at the end (booking filters again by the citizen's own booking day,
which may be a day later than this computation), cut to the part the advisor's calendar
was read for; free time = working hours (without public holidays and the job centre's
closed days) minus the calendar's busy time (from the process's ``BUSY_CACHE``, checked
against the advisor's ``busy_version``) minus the advisor's booked meetings in
EVERY offer; then every allowed start where the meeting and its reporting time fit.

An advisor whose calendar has never been read successfully, or not within
``calendar_stale_after_seconds``, is withheld: the payload names them instead of
guessing that they are free. For every other advisor the payload says until when their
calendar data stays current (``calendar_valid_until``), so booking stops offering their
starts by itself when no newer computation comes (the worker is down). While reads
succeed, ``validity_renewal_due`` has the sync announce the advisor's offers again well
before that instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.calendar_sync.busy_cache import BUSY_CACHE
from services.calendar_sync.health import is_stale, stale_after
from services.calendar_sync.models import AdvisorCalendar, BookedMeeting, OfferSchedule
from shared.availability import BookingPeriod, MeetingShape, bookable_starts, parse_weekly_hours
from shared.config import Settings
from shared.events import AvailabilityPayload, BookableSlot, OfferPayload
from shared.intervals import Interval
from shared.timeutil import local_midnight, today_in, zone
from shared.working_time import ClosingPolicy, closed_days, parse_day_exceptions, working_time

PUBLIC_HOLIDAYS_ONLY = ClosingPolicy(closed_optional_days=frozenset())


def booking_window(offer: OfferPayload, settings: Settings, now: datetime) -> Interval | None:
    """The instants a citizen may book today, plus one day at the end (not past a fixed
    end date); None when the offer cannot be booked today."""
    tz = zone(offer.timezone)
    period = BookingPeriod(
        first_meeting_date=offer.first_meeting_date,
        end_date=offer.end_date,
        rolling_weeks=offer.rolling_weeks,
        opens_on=offer.opens_on,
        notice_days=settings.booking_notice_days,
    )
    window = period.window(today_in(tz, now), tz, settings.availability_horizon_days)
    if window is None:
        return None
    day_after = window.end.astimezone(tz).date()
    if offer.end_date is not None and day_after > offer.end_date:
        return window  # the fixed end date holds for every booking day
    return Interval(window.start, local_midnight(day_after + timedelta(days=1), tz))


def shape_of(offer: OfferPayload) -> MeetingShape:
    return MeetingShape(
        duration=timedelta(minutes=offer.duration_minutes),
        reporting=timedelta(minutes=offer.reporting_minutes),
        start_minutes=frozenset(offer.start_minutes),
    )


def advisor_working_time(advisor: AdvisorCalendar, window: Interval) -> list[Interval]:
    """The advisor's working hours in ``window``, with their date exceptions (a day off,
    other hours), without holidays and closed days."""
    tz = zone(advisor.timezone)
    first = window.start.astimezone(tz).date()
    last_exclusive = window.end.astimezone(tz).date() + timedelta(days=1)
    closed: set[date] = {date.fromisoformat(str(d)) for d in advisor.closed_days}
    closed |= set(closed_days(PUBLIC_HOLIDAYS_ONLY, first, last_exclusive))
    hours = parse_weekly_hours(advisor.working_hours)
    exceptions = parse_day_exceptions(advisor.working_exceptions or {})
    return working_time(hours, first, last_exclusive, tz, exceptions=exceptions, closed=closed)


def advisor_booked(session: Session, advisor_id: str, window: Interval) -> list[Interval]:
    """Occupations (meeting + reporting time) of the advisor's bookings in every offer."""
    rows = session.scalars(
        select(BookedMeeting).where(
            BookedMeeting.advisor_id == advisor_id,
            BookedMeeting.cancelled_at.is_(None),
            BookedMeeting.start_at < window.end,
            BookedMeeting.occupied_until > window.start,
        )
    )
    return [row.occupation for row in rows]


def advisor_starts(
    session: Session, advisor: AdvisorCalendar, window: Interval, shape: MeetingShape, tz: ZoneInfo
) -> list[datetime]:
    synced = advisor.synced_window
    clipped = window.clip(synced) if synced is not None else None
    if clipped is None:
        return []
    return bookable_starts(
        window=clipped,
        working=advisor_working_time(advisor, clipped),
        busy=BUSY_CACHE.busy(session, advisor),
        booked=advisor_booked(session, advisor.advisor_id, clipped),
        shape=shape,
        tz=tz,
    )


def offers_of_advisor(session: Session, advisor_id: str) -> list[str]:
    """Ids of every offer (active or not) the advisor takes part in."""
    rows = session.execute(select(OfferSchedule.offer_id, OfferSchedule.advisor_ids)).all()
    return sorted(offer_id for offer_id, advisor_ids in rows if advisor_id in (advisor_ids or []))


def calendar_valid_until(advisor: AdvisorCalendar, settings: Settings) -> datetime | None:
    """Until when the advisor's calendar data counts as current: their last successful
    read plus ``calendar_stale_after_seconds`` (None when never read)."""
    if advisor.last_success_at is None:
        return None
    return advisor.last_success_at + stale_after(settings)


def validity_renewal_due(previous_success: datetime | None, now: datetime, valid_for: timedelta) -> bool:
    """Whether a successful read at ``now`` must announce the advisor's offers again even
    though their calendar did not change, to renew the ``calendar_valid_until`` booking holds.

    Time is cut into periods of half ``valid_for`` (counted from the epoch); the first
    successful read in each period announces. An announcement at ``a`` holds until
    ``a + valid_for``, at least two period starts later, so with reads succeeding more often
    than once per half ``valid_for`` booking never withholds a current calendar; when reads
    fail, the announced bound lapses at most half ``valid_for`` before the worker's own.
    """
    if previous_success is None:
        return True
    period = valid_for.total_seconds() / 2
    return int(previous_success.timestamp() // period) != int(now.timestamp() // period)


def _empty(offer_id: str, now: datetime, window: Interval | None, withheld: Sequence[str] = ()) -> AvailabilityPayload:
    start, end = (window.start, window.end) if window is not None else (now, now)
    return AvailabilityPayload(
        offer_id=offer_id,
        computed_at=now,
        window_start=start,
        window_end=end,
        slots=[],
        withheld_advisor_ids=list(withheld),
    )


def compute_offer_availability(
    session: Session, settings: Settings, offer_id: str, now: datetime
) -> AvailabilityPayload | None:
    """Every bookable start of the offer per advisor as of ``now``; None for an unknown offer.

    An inactive offer, a group offer (its meetings are fixed by staff) or an offer that is
    not open for booking today gets no starts.
    """
    row = session.get(OfferSchedule, offer_id)
    if row is None:
        return None
    offer = OfferPayload.model_validate(row.payload)
    window = booking_window(offer, settings, now)
    if not row.active or not offer.active or offer.meeting_form != "individual" or window is None:
        return _empty(offer_id, now, window)
    tz, shape = zone(offer.timezone), shape_of(offer)
    slots: list[BookableSlot] = []
    withheld: list[str] = []
    valid_until: dict[str, datetime] = {}
    for advisor_id in offer.advisor_ids:
        advisor = session.get(AdvisorCalendar, advisor_id)
        until = calendar_valid_until(advisor, settings) if advisor is not None else None
        if advisor is None or until is None or is_stale(advisor, settings, now):
            withheld.append(advisor_id)
            continue
        valid_until[advisor_id] = until
        for start in advisor_starts(session, advisor, window, shape, tz):
            slots.append(BookableSlot(advisor_id=advisor_id, start=start))
    slots.sort(key=lambda slot: (slot.start, slot.advisor_id))
    return AvailabilityPayload(
        offer_id=offer_id,
        computed_at=now,
        window_start=window.start,
        window_end=window.end,
        slots=slots,
        withheld_advisor_ids=withheld,
        calendar_valid_until=valid_until,
    )
