"""The free starts of one stretch of an offer, counted by the database (the week page).

``queries.free_starts`` reads every (start, advisor) candidate into Python and checks each
against the advisors' occupations: right for booking one time, costly for a page of 50
advisors (3,000 candidates a week). The week page only needs the distinct starts at which
*some* allowed advisor is free, so on PostgreSQL the check runs in the query itself: a
candidate counts when no active booking and no unexpired hold of its advisor overlaps its
occupation (meeting plus reporting time), exactly the rule of ``free_starts``; the answer is
at most one row per start. Other databases (SQLite: the demo) take ``free_starts``'s path.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Interval, exists, literal, or_, select
from sqlalchemy.orm import Session

from services.booking.eligibility import citizen_bounds
from services.booking.models import BookableTime, Booking, OfferView
from services.booking.prepared_times import PreparedTimes
from services.booking.queries import (
    TimeOption,
    booking_window,
    free_starts,
    last_bookable_day,
    occupied_span,
    offer_zone,
    search_for,
)
from shared.config import Settings
from shared.eligibility import CitizenProfile
from shared.timeutil import local_midnight, today_in


def free_start_times(
    session: Session,
    offer: OfferView,
    settings: Settings,
    now: datetime,
    *,
    start_from: datetime | None = None,
    until: datetime | None = None,
    advisor_id: uuid.UUID | None = None,
    advisors_allowed: Collection[uuid.UUID] | None = None,
    ignore_hold: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[datetime]:
    """The distinct starts of ``free_starts`` (same arguments, same rules), sorted; at most
    ``limit`` of them."""
    if session.get_bind().dialect.name != "postgresql":
        pairs = free_starts(
            session,
            offer,
            settings,
            now,
            start_from=start_from,
            until=until,
            advisor_id=advisor_id,
            advisors_allowed=advisors_allowed,
            ignore_hold=ignore_hold,
        )
        return sorted({start for start, _ in pairs})[:limit]
    search = search_for(offer, settings, now, start_from, until, advisor_id, advisors_allowed)
    if search is None:
        return []
    span = literal(occupied_span(offer), Interval())
    busy = exists().where(
        Booking.advisor_id == BookableTime.advisor_id,
        Booking.cancelled_at.is_(None),
        or_(Booking.held_until.is_(None), Booking.held_until > now),
        Booking.start_at < BookableTime.start_at + span,
        Booking.occupied_until > BookableTime.start_at,
    )
    if ignore_hold is not None:
        busy = busy.where(Booking.id != ignore_hold)
    query = (
        select(BookableTime.start_at)
        .where(
            BookableTime.offer_id == offer.id,
            BookableTime.advisor_id.in_(search.advisors),
            BookableTime.start_at >= search.low,
            BookableTime.start_at < search.high,
            or_(BookableTime.valid_until.is_(None), BookableTime.valid_until >= now),
            ~busy,
        )
        .group_by(BookableTime.start_at)
        .order_by(BookableTime.start_at)
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class CitizenWeek:
    """What the week page shows of one ISO week for one citizen."""

    monday: date
    options: list[TimeOption]
    """The free starts of the week, each once (the service picks among free advisors)."""
    first_free: datetime | None
    """The citizen's first free start of the whole period (the "Første ledige tid" link)."""
    last_day: date | None
    """The last local date the citizen may book a meeting on (the "Næste uge" link)."""


def citizen_week(
    session: Session,
    settings: Settings,
    offer: OfferView,
    citizen: CitizenProfile,
    now: datetime,
    monday: date | None,
    *,
    advisor_id: uuid.UUID | None = None,
    ignore_hold: uuid.UUID | None = None,
    prepared: PreparedTimes | None = None,
) -> CitizenWeek:
    """The week from ``monday`` (None: the week of the citizen's first free time) under the
    rules of ``eligibility.citizen_bounds``: eligible on today's date (Forbidden otherwise),
    before the personal deadline, only the advisors R-5 allows. The starts come from
    ``prepared`` (the offer's prepared times, current now) unless the citizen's own hold
    must count as free (``ignore_hold``): then the database is asked."""
    tz = offer_zone(offer)
    bounds = citizen_bounds(offer, citizen, now, None)
    end, allowed = bounds.until, bounds.advisors

    def starts(start_from: datetime | None, until: datetime | None, limit: int | None = None) -> list[datetime]:
        if prepared is not None and ignore_hold is None:
            pairs = prepared.pairs(
                now, start_from=start_from, until=until, advisor_id=advisor_id, advisors_allowed=allowed
            )
            return sorted({start for start, _ in pairs})[:limit]
        return free_start_times(
            session, offer, settings, now, start_from=start_from, until=until, advisor_id=advisor_id,
            advisors_allowed=allowed, ignore_hold=ignore_hold, limit=limit,
        )  # fmt: skip

    first = starts(None, end, limit=1)
    first_free = first[0] if first else None
    if monday is None:
        day = first_free.astimezone(tz).date() if first_free else today_in(tz, now)
        monday = day - timedelta(days=day.weekday())
    week_end = local_midnight(monday + timedelta(days=7), tz)
    found = starts(local_midnight(monday, tz), min(week_end, end) if end else week_end)
    duration = timedelta(minutes=offer.duration_minutes)
    options = [TimeOption(s.astimezone(tz), (s + duration).astimezone(tz), None) for s in found]
    window = booking_window(offer, settings, now)
    last_day = last_bookable_day(window, offer) if window else None
    if last_day and end:
        last_day = min(last_day, (end - timedelta(microseconds=1)).astimezone(tz).date())
    return CitizenWeek(monday, options, first_free, last_day)
