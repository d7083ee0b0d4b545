"""Bookable start times of individual meetings (O-6 to O-8, B-1, B-2). Pure.

A meeting that starts at ``s`` occupies the advisor during
``[s, s + duration + reporting time)``; it is bookable when that whole span lies in the
advisor's free time (working time minus calendar busy time minus existing bookings),
``s`` falls on an allowed start minute of the local hour, and ``s`` lies inside the
offer's booking period for the day the citizen books.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.intervals import Interval, clip_all, subtract
from shared.timeutil import local_midnight
from shared.working_time import (  # noqa: F401 - re-exported for callers of availability
    WEEKDAYS,
    WeeklyHours,
    parse_weekly_hours,
    weekly_hours_to_json,
    working_intervals,
)

ALLOWED_START_MINUTES = frozenset({0, 15, 20, 30, 40, 45})


@dataclass(frozen=True, slots=True)
class MeetingShape:
    """How long a meeting occupies the advisor and where it may start."""

    duration: timedelta
    reporting: timedelta
    start_minutes: frozenset[int]

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        if self.reporting < timedelta(0):
            raise ValueError("reporting time cannot be negative")
        if not self.start_minutes or any(not 0 <= m < 60 for m in self.start_minutes):
            raise ValueError("start minutes must be a non-empty subset of 0..59")

    @property
    def occupied(self) -> timedelta:
        return self.duration + self.reporting

    def occupation(self, start: datetime) -> Interval:
        return Interval(start, start + self.occupied)


def _offset_minutes(instant: datetime, tz: ZoneInfo) -> int:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def _constant_offset_pieces(piece: Interval, tz: ZoneInfo) -> list[Interval]:
    """Split ``piece`` where the zone's UTC offset changes (daylight saving)."""
    if _offset_minutes(piece.start, tz) == _offset_minutes(piece.end, tz) and (piece.duration < timedelta(days=60)):
        return [piece]
    pieces: list[Interval] = []
    start = piece.start
    cursor = piece.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    current = _offset_minutes(start, tz)
    while cursor < piece.end:
        cursor += timedelta(hours=1)
        point = min(cursor, piece.end)
        if _offset_minutes(point, tz) != current and point < piece.end:
            pieces.append(Interval(start, point))
            start, current = point, _offset_minutes(point, tz)
    pieces.append(Interval(start, piece.end))
    return pieces


def _starts_in(free: Interval, shape: MeetingShape, tz: ZoneInfo) -> list[datetime]:
    latest = free.end - shape.occupied
    if latest < free.start:
        return []
    result: list[datetime] = []
    for piece in _constant_offset_pieces(Interval(free.start, latest + timedelta(microseconds=1)), tz):
        offset = _offset_minutes(piece.start, tz)
        utc_minutes = sorted({(m - offset) % 60 for m in shape.start_minutes})
        hour = piece.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while hour < piece.end:
            for minute in utc_minutes:
                candidate = hour + timedelta(minutes=minute)
                if piece.start <= candidate < piece.end:
                    result.append(candidate.astimezone(tz))
            hour += timedelta(hours=1)
    return result


def bookable_starts(
    *,
    window: Interval,
    working: Iterable[Interval] | None,
    busy: Iterable[Interval],
    booked: Iterable[Interval],
    shape: MeetingShape,
    tz: ZoneInfo,
) -> list[datetime]:
    """Every start in ``window`` where a meeting of ``shape`` fits in free time.

    ``working`` None means "the whole window is working time" (used by the operators'
    command to see what the calendars alone allow). ``booked`` are the occupations
    (meeting plus reporting time) of the advisor's existing bookings in every offer.
    Starts are returned sorted, in ``tz``.
    """
    base = [window] if working is None else clip_all(working, window)
    free = subtract(base, [*busy, *booked])
    starts: list[datetime] = []
    for piece in free:
        starts.extend(_starts_in(piece, shape, tz))
    return starts


@dataclass(frozen=True, slots=True)
class BookingPeriod:
    """The dates between which an offer's meetings may be booked (O-8)."""

    first_meeting_date: date
    end_date: date | None = None
    rolling_weeks: int | None = None
    opens_on: date | None = None
    notice_days: int = 1

    def window(self, today: date, tz: ZoneInfo, horizon_days: int) -> Interval | None:
        """The instants a citizen booking on ``today`` may choose, or None.

        From local midnight of the later of the first meeting date and ``today`` plus
        the notice, to the end of the earlier of the fixed end date and ``today`` plus
        the rolling weeks (both inclusive dates). ``horizon_days`` bounds an offer with
        neither end. None when the offer has not opened yet or the period is empty.
        """
        if self.opens_on is not None and today < self.opens_on:
            return None
        first = max(self.first_meeting_date, today + timedelta(days=self.notice_days))
        last = today + timedelta(days=horizon_days)
        if self.end_date is not None:
            last = min(last, self.end_date)
        if self.rolling_weeks is not None:
            last = min(last, today + timedelta(weeks=self.rolling_weeks))
        if last < first:
            return None
        return Interval(local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz))


def merge_starts(per_advisor: Mapping[str, Sequence[datetime]]) -> list[datetime]:
    """The distinct starts at which at least one advisor is free, sorted."""
    return sorted({s for starts in per_advisor.values() for s in starts})
