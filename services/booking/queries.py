"""What a citizen may see: bookable offers and their free times (B-1, B-2). Reads only.

Free times come from the read model of ``availability.computed`` and are then narrowed
for the citizen's booking day: the notice, the offer's period (opening date, first
meeting date, fixed end date, rolling weeks counted from today), the age of the
advisor's calendar data (a start whose ``valid_until`` has passed is not offered: the
worker has not read that calendar lately, perhaps because it is down) and this service's
own bookings and holds. A booking, or a hold that has not expired, removes every start of
that advisor whose occupation (meeting plus reporting time) overlaps it, in every offer at
once, before the worker recomputes. An expired hold blocks nothing: the query compares its
``held_until`` with the request's ``now``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, literal, or_, select, text
from sqlalchemy.orm import Session

from services.booking.models import BookableTime, Booking, OfferView
from shared.availability import BookingPeriod
from shared.config import Settings
from shared.db import AwareDateTime, among_bound, dialect_name, table_of
from shared.errors import NotFound
from shared.i18n import N_
from shared.intervals import Interval
from shared.timeutil import today_in, zone

OFFER_NOT_FOUND = N_("Tilbuddet findes ikke, eller det kan ikke bookes lige nu.")


@dataclass(frozen=True, slots=True)
class TimeOption:
    """A start a citizen may book; ``advisor_id`` None when the offer picks the advisor."""

    start: datetime
    end: datetime
    advisor_id: uuid.UUID | None


def offer_zone(offer: OfferView) -> ZoneInfo:
    return zone(offer.timezone)


def is_bookable(offer: OfferView, now: datetime, meeting_form: str = "individual") -> bool:
    """Active, of ``meeting_form`` (the listings and times: individual; seats: group), with
    participant rules and opened on the citizen's day in the offer's zone (B-1, O-8).
    Whether one citizen may book it is ``eligibility``'s question."""
    return (
        offer.active
        and offer.rules is not None
        and offer.meeting_form == meeting_form
        and offer.opens_on <= today_in(offer_zone(offer), now)
    )


def active_offers(session: Session) -> list[OfferView]:
    """Every active offer, by name (opened or not yet)."""
    return list(session.scalars(select(OfferView).where(OfferView.active.is_(True)).order_by(OfferView.name)))


def bookable_offers(session: Session, now: datetime) -> list[OfferView]:
    """Every offer a citizen may see now, by name: individual ones and group meetings."""
    return [offer for offer in active_offers(session) if is_bookable(offer, now, offer.meeting_form)]


def bookable_offer(session: Session, offer_id: uuid.UUID, now: datetime, meeting_form: str = "individual") -> OfferView:
    """The offer, or NotFound when it is unknown, inactive, not opened yet or of another
    meeting form than ``meeting_form``."""
    offer = session.get(OfferView, offer_id)
    if offer is None or not is_bookable(offer, now, meeting_form):
        raise NotFound(OFFER_NOT_FOUND)
    return offer


def booking_window(offer: OfferView, settings: Settings, now: datetime) -> Interval | None:
    """The instants in which a citizen booking at ``now`` may start a meeting, or None."""
    tz = offer_zone(offer)
    period = BookingPeriod(
        first_meeting_date=offer.first_meeting_date,
        end_date=offer.end_date,
        rolling_weeks=offer.rolling_weeks,
        opens_on=offer.opens_on,
        notice_days=settings.booking_notice_days,
    )
    return period.window(today_in(tz, now), tz, horizon_days=settings.availability_horizon_days)


def last_bookable_day(window: Interval, offer: OfferView) -> date:
    """The last local date inside ``window`` (for messages)."""
    return (window.end - timedelta(microseconds=1)).astimezone(offer_zone(offer)).date()


def occupied_span(offer: OfferView) -> timedelta:
    return timedelta(minutes=offer.duration_minutes + offer.reporting_minutes)


@dataclass(frozen=True, slots=True)
class Search:
    """Where free starts are looked for: ``[low, high)`` and the advisors that count."""

    low: datetime
    high: datetime
    advisors: list[uuid.UUID]


def search_for(
    offer: OfferView,
    settings: Settings,
    now: datetime,
    start_from: datetime | None,
    until: datetime | None,
    advisor_id: uuid.UUID | None,
    advisors_allowed: Collection[uuid.UUID] | None,
) -> Search | None:
    """The bounds of ``free_starts`` (see there), or None when nothing can be free."""
    window = booking_window(offer, settings, now)
    return search_within(window, offer, now, start_from, until, advisor_id, advisors_allowed)


def search_within(
    window: Interval | None,
    offer: OfferView,
    now: datetime,
    start_from: datetime | None,
    until: datetime | None,
    advisor_id: uuid.UUID | None,
    advisors_allowed: Collection[uuid.UUID] | None,
) -> Search | None:
    """``search_for`` in the booking ``window`` of ``now``'s day (None: none)."""
    if window is None:
        return None
    low, high = max(window.start, now), window.end
    if start_from is not None:
        low = max(low, start_from)
    if until is not None:
        high = min(high, until)
    advisors = offer.advisor_uuids()
    if advisor_id is not None:
        advisors = [a for a in advisors if a == advisor_id]
    if advisors_allowed is not None:
        advisors = [a for a in advisors if a in advisors_allowed]
    if low >= high or not advisors:
        return None
    return Search(low, high, advisors)


def free_starts(
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
) -> list[tuple[datetime, uuid.UUID]]:
    """``(start, advisor)`` pairs free for a citizen booking at ``now``, sorted.

    Only advisors still on the offer count (and among them only ``advisors_allowed`` when
    given: R-5); starts lie in the booking window, after ``now``, in ``[start_from, until)``
    when given, come from calendar data still current at ``now`` (``valid_until``), and
    are clear of every active booking and unexpired hold of that advisor in any offer
    (but ``ignore_hold``: the citizen's own hold, which a new choice would replace).
    """
    search = search_for(offer, settings, now, start_from, until, advisor_id, advisors_allowed)
    if search is None:
        return []
    return [(start, advisor) for start, advisor, _ in free_rows(session, offer, search, now, ignore_hold).rows]


@dataclass(frozen=True, slots=True)
class FreeRows:
    """The free candidates of a ``Search`` at ``now``, and until when that answer holds."""

    rows: list[tuple[datetime, uuid.UUID, datetime | None]]
    """``(start, advisor, valid_until)``, sorted by start and advisor."""
    holds_end: datetime | None
    """The earliest ``held_until`` among the unexpired holds that were counted (None: none):
    from then on some start may be free that is not among ``rows``."""


def free_rows(
    session: Session, offer: OfferView, search: Search, now: datetime, ignore_hold: uuid.UUID | None = None
) -> FreeRows:
    """The bookable times of ``search`` current at ``now`` whose occupation no active booking
    and no unexpired hold of their advisor overlaps (the rule of ``free_starts``)."""
    low, high, advisors = search.low, search.high, search.advisors
    candidates = session.execute(
        select(BookableTime.start_at, BookableTime.advisor_id, BookableTime.valid_until)
        .where(
            BookableTime.offer_id == offer.id,
            BookableTime.advisor_id.in_(advisors),
            BookableTime.start_at >= low,
            BookableTime.start_at < high,
            or_(BookableTime.valid_until.is_(None), BookableTime.valid_until >= now),
        )
        .order_by(BookableTime.start_at, BookableTime.advisor_id)
    ).all()
    if not candidates:
        return FreeRows([], None)
    span = occupied_span(offer)
    taken, holds_end = advisor_occupations(session, advisors, Interval(low, high + span), now, ignore_hold)
    rows: list[tuple[datetime, uuid.UUID, datetime | None]] = []
    for start, advisor, valid_until in candidates:
        occupation = Interval(start, start + span)
        if not any(occupation.overlaps(busy) for busy in taken.get(advisor, ())):
            rows.append((start, advisor, valid_until))
    return FreeRows(rows, holds_end)


def _free_advisors_statement(postgresql: bool) -> Select[tuple[uuid.UUID]]:
    """``free_advisors_at``'s statement for one kind of database, its values as parameters."""
    time, booking = table_of(BookableTime).c, table_of(Booking).c
    start, until, now = (bindparam(name, type_=AwareDateTime()) for name in ("start", "until", "now"))
    if postgresql:  # the exclusion constraint's own range, as in ``occupation_overlaps``
        occupied = func.tstzrange(booking.start_at, booking.occupied_until, text("'[)'"))
        overlaps = occupied.op("&&")(func.tstzrange(start, until, text("'[)'")))
    else:
        overlaps = and_(booking.start_at < until, booking.occupied_until > start)
    advisors = among_bound(time.advisor_id, "advisors", postgresql)
    busy = exists().where(
        booking.advisor_id == time.advisor_id,
        booking.cancelled_at.is_(None),
        or_(booking.held_until.is_(None), booking.held_until > now),
        overlaps,
    )
    return select(time.advisor_id).where(
        time.offer_id == bindparam("offer_id"),
        advisors,
        time.start_at == start,
        or_(time.valid_until.is_(None), time.valid_until >= now),
        ~busy,
    )


_FREE_ADVISORS = {"postgresql": _free_advisors_statement(True), "other": _free_advisors_statement(False)}
"""Built once: a booking only binds its values."""


def free_advisors_at(
    session: Session, offer: OfferView, start: datetime, now: datetime, advisors: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``advisors`` with a bookable time at ``start`` (calendar data current at
    ``now``) whose occupation no active booking and no unexpired hold of theirs overlaps, in
    any offer: ``free_starts`` for one start, in one statement (the booking's check; the
    table's guards answer a race)."""
    statement = _FREE_ADVISORS["postgresql" if dialect_name(session) == "postgresql" else "other"]
    values = {"offer_id": offer.id, "advisors": advisors, "start": start, "until": start + occupied_span(offer)}
    return set(session.scalars(statement, values | {"now": now}))


def occupation_overlaps(session: Session, start: datetime, until: datetime) -> ColumnElement[bool]:
    """A booking's occupation ``[start_at, occupied_until)`` overlaps ``[start, until)``. On
    PostgreSQL it is written as the exclusion constraint's own range, so that constraint's
    index finds the few rows of an advisor near the time instead of reading all of theirs."""
    if dialect_name(session) != "postgresql":
        return and_(Booking.start_at < until, Booking.occupied_until > start)
    occupied = func.tstzrange(Booking.start_at, Booking.occupied_until, text("'[)'"))
    asked = func.tstzrange(literal(start, AwareDateTime()), literal(until, AwareDateTime()), text("'[)'"))
    return occupied.op("&&")(asked)


def advisor_occupations(
    session: Session, advisors: list[uuid.UUID], during: Interval, now: datetime, ignore_hold: uuid.UUID | None
) -> tuple[dict[uuid.UUID, list[Interval]], datetime | None]:
    """Occupations of the active bookings and the holds unexpired at ``now`` of ``advisors``
    (any offer) overlapping ``during``, ``ignore_hold`` left out; and the earliest
    ``held_until`` among those holds (None: none)."""
    query = select(Booking.advisor_id, Booking.start_at, Booking.occupied_until, Booking.held_until).where(
        Booking.advisor_id.in_(advisors),
        Booking.cancelled_at.is_(None),
        or_(Booking.held_until.is_(None), Booking.held_until > now),
        Booking.start_at < during.end,
        Booking.occupied_until > during.start,
    )
    if ignore_hold is not None:
        query = query.where(Booking.id != ignore_hold)
    taken: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    holds_end: datetime | None = None
    for advisor, start, until, held_until in session.execute(query):
        taken[advisor].append(Interval(start, until))
        if held_until is not None and (holds_end is None or held_until < holds_end):
            holds_end = held_until
    return taken, holds_end
