"""Bookable start times of individual meetings (O-6 to O-8, B-1, B-2). Pure.

A meeting that starts at ``s`` occupies the advisor during
``[s, s + duration + reporting time)``; it is bookable when that whole span lies in the
advisor's free time (working time minus calendar busy time minus existing bookings),
``s`` falls on an allowed start minute of the local hour, and ``s`` lies inside the
offer's booking period for the day the citizen books.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from shared.intervals import Interval, merge
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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND
_DAY_SECONDS = 86_400
_PREMERGE_FROM = 64


def _epoch_us(instant: datetime) -> int:
    """``instant`` as exact integer microseconds since the epoch (UTC)."""
    return (instant - _EPOCH) // _MICROSECOND


def _offset_at(tz: ZoneInfo, second: int) -> int:
    """The zone's UTC offset in whole minutes (rounded down) at an epoch second."""
    offset = datetime.fromtimestamp(second, tz).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


@lru_cache(maxsize=4096)
def _day_transitions(tz: ZoneInfo, day: int) -> tuple[tuple[int, int], ...]:
    """Offset changes ``(epoch second, new offset in minutes)`` in the UTC day ``day``.

    Sampled every hour (no zone changes its offset twice within an hour), and each
    change found to the exact second by bisection, so zones whose changes fall on a
    half hour in UTC (Australia/Adelaide) are split at the right instant.
    """
    changes: list[tuple[int, int]] = []
    previous_second = day * _DAY_SECONDS
    previous = _offset_at(tz, previous_second)
    for hour in range(1, 25):
        second = day * _DAY_SECONDS + hour * 3600
        current = _offset_at(tz, second)
        if current != previous:
            low, high = previous_second, second  # offset(low) == previous, offset(high) != previous
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_at(tz, middle) == previous:
                    low = middle
                else:
                    high = middle
            changes.append((high, current))
        previous_second, previous = second, current
    return tuple(changes)


def _offset_pieces(tz: ZoneInfo, start_us: int, end_us: int) -> list[tuple[int, int]]:
    """``(piece start in µs, offset in minutes)`` covering ``[start_us, end_us)``, in order."""
    first_second = start_us // _US_PER_SECOND
    pieces = [(start_us, _offset_at(tz, first_second))]
    for day in range(first_second // _DAY_SECONDS, (end_us - 1) // _US_PER_SECOND // _DAY_SECONDS + 1):
        for second, offset in _day_transitions(tz, day):
            at = second * _US_PER_SECOND
            if start_us < at < end_us and offset != pieces[-1][1]:
                pieces.append((at, offset))
    return pieces


def _looks_merged(intervals: list[Interval]) -> bool:
    """Whether the first few intervals are sorted and apart (a hint for speed only)."""
    head = intervals[:32]
    return all(a.end < b.start for a, b in itertools.pairwise(head))


def _merged_by_wall_clock(intervals: list[Interval]) -> list[Interval] | None:
    """``merge(intervals)`` when comparing their datetimes directly is exact, else None.

    Python compares two datetimes of the same tzinfo object by wall clock, which is
    wrong around a daylight-saving change; fixed offsets (what ``fromisoformat`` gives)
    are always exact, one ZoneInfo is exact when its offset does not change anywhere
    near the intervals. Merging first means converting far fewer datetimes to integers.
    """
    zones = {i.start.tzinfo for i in intervals} | {i.end.tzinfo for i in intervals}
    if all(type(z) is timezone for z in zones):
        return merge(intervals)
    if len(zones) != 1 or not isinstance(zone := zones.pop(), ZoneInfo):
        return None
    merged = merge(intervals)  # exact in wall-clock order: one tzinfo object
    low = _epoch_us(merged[0].start) - _DAY_SECONDS * _US_PER_SECOND
    high = _epoch_us(max(i.end for i in merged)) + _DAY_SECONDS * _US_PER_SECOND
    if high - low > 400 * _DAY_SECONDS * _US_PER_SECOND:
        return None  # not worth scanning the zone's rules over years
    return merged if len(_offset_pieces(zone, low, high)) == 1 else None


def _spans(intervals: Iterable[Interval]) -> list[list[int]]:
    """``intervals`` as merged, sorted ``[start_us, end_us]`` pairs."""
    intervals = list(intervals)
    if len(intervals) > _PREMERGE_FROM and not _looks_merged(intervals):
        intervals = _merged_by_wall_clock(intervals) or intervals
    epoch, unit = _EPOCH, _MICROSECOND  # inlined: this runs for every cached busy interval
    raw = sorted([((i.start - epoch) // unit, (i.end - epoch) // unit) for i in intervals])
    merged: list[list[int]] = []
    for start, end in raw:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged


def _free_spans(base: list[list[int]], cuts: list[list[int]]) -> list[tuple[int, int]]:
    """The parts of merged ``base`` not covered by merged ``cuts``."""
    result: list[tuple[int, int]] = []
    j, count = 0, len(cuts)
    for piece_start, piece_end in base:
        start = piece_start
        while j < count and cuts[j][1] <= start:
            j += 1
        k = j
        while k < count and cuts[k][0] < piece_end:
            if cuts[k][0] > start:
                result.append((start, cuts[k][0]))
            start = max(start, cuts[k][1])
            if start >= piece_end:
                break
            k += 1
        if start < piece_end:
            result.append((start, piece_end))
    return result


def _start_seconds(
    free: list[tuple[int, int]], occupied_us: int, minutes: list[int], pieces: list[tuple[int, int]]
) -> list[int]:
    """Epoch seconds of every whole UTC minute ``s`` with ``[s, s + occupied)`` in a free span
    and the local minute of ``s`` (under the offset of its piece) in ``minutes``."""
    result: list[int] = []
    bounds = [start for start, _ in pieces[1:]]
    for free_start, free_end in free:
        latest = free_end - occupied_us  # the last start, inclusive
        if latest < free_start:
            continue
        index = max(0, bisect_right(bounds, free_start))
        lo = free_start
        while lo <= latest:
            piece_end = bounds[index] if index < len(bounds) else latest + 1
            hi = min(latest, piece_end - 1)  # inclusive, µs
            offset = pieces[index][1]
            first = -(-lo // _US_PER_MINUTE) + offset  # local minute numbers, inclusive
            last = hi // _US_PER_MINUTE + offset
            for hour in range(first // 60 * 60, last + 1, 60):
                for minute in minutes:
                    local = hour + minute
                    if first <= local <= last:
                        result.append((local - offset) * 60)
            lo, index = piece_end, index + 1
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

    Works on integer microseconds since the epoch, so it is exact whatever the zones of
    the inputs; a start is a whole UTC minute whose local minute (under the zone's offset
    at that instant) is allowed, and it falls on the right side of every offset change.
    """
    window_start, window_end = _epoch_us(window.start), _epoch_us(window.end)
    if working is None:
        base = [[window_start, window_end]]
    else:
        base = [
            [max(start, window_start), min(end, window_end)]
            for start, end in _spans(working)
            if start < window_end and end > window_start
        ]
    if not base:
        return []
    free = _free_spans(base, _spans(itertools.chain(busy, booked)))
    if not free:
        return []
    pieces = _offset_pieces(tz, free[0][0], free[-1][1])
    seconds = _start_seconds(free, shape.occupied // _MICROSECOND, sorted(shape.start_minutes), pieces)
    return [datetime.fromtimestamp(second, tz) for second in seconds]


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
