"""Half-open time intervals ``[start, end)`` and the algebra availability needs.

Pure: no framework imports. Every instant is timezone-aware and kept in UTC: Python
compares two datetimes of the *same* zone by wall-clock time, which is wrong in the hour
that repeats when daylight saving ends (02:30 CEST and 02:30 CET are an hour apart).
Show an interval to people with ``.astimezone(zone)``.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from shared.timeutil import require_aware


@dataclass(frozen=True, order=True, slots=True)
class Interval:
    """A half-open interval of time: ``start`` is inside, ``end`` is not."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", require_aware(self.start, "start").astimezone(UTC))
        object.__setattr__(self, "end", require_aware(self.end, "end").astimezone(UTC))
        if not self.start < self.end:
            raise ValueError(f"interval must end after it starts: {self.start} .. {self.end}")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    def contains_instant(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def clip(self, window: Interval) -> Interval | None:
        """The part of this interval inside ``window``, or None."""
        start, end = max(self.start, window.start), min(self.end, window.end)
        return Interval(start, end) if start < end else None

    def to_json(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


_ORDER = attrgetter("start", "end")
"""The order of ``Interval`` (start, then end) as a C-level sort key."""


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering exactly the union of ``intervals``.

    Touching intervals (one ends where the next starts) are joined.
    """
    result: list[Interval] = []
    last: Interval | None = None  # the interval being grown, unchanged so far
    start = end = None
    for current in sorted(intervals, key=_ORDER):
        if end is not None and current.start <= end:
            if current.end > end:
                end, last = current.end, None
            continue
        if end is not None:
            result.append(last if last is not None else Interval(start, end))  # type: ignore[arg-type]
        last, start, end = current, current.start, current.end
    if end is not None:
        result.append(last if last is not None else Interval(start, end))  # type: ignore[arg-type]
    return result


def splice(ordered: list[Interval], remove: Iterable[Interval], add: Iterable[Interval]) -> None:
    """Replace ``remove`` by ``add`` in ``ordered``, in place, keeping it sorted.

    ``ordered`` is sorted (``sorted(intervals)``) but not merged, so one calendar
    object's intervals can later be taken out again: keep an advisor's busy time this
    way and splice only the changed object's intervals instead of re-sorting all of it.
    Each interval of ``remove`` takes out one equal interval; ValueError when absent.
    """
    for interval in remove:
        index = bisect_left(ordered, _ORDER(interval), key=_ORDER)
        if index == len(ordered) or ordered[index] != interval:
            raise ValueError(f"interval not present: {interval}")
        del ordered[index]
    for interval in add:
        insort(ordered, interval, key=_ORDER)


def subtract(base: Iterable[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    """The parts of ``base`` not covered by any of ``cuts`` (sorted, merged)."""
    free = merge(base)
    busy = merge(cuts)
    result: list[Interval] = []
    j = 0
    for piece in free:
        start = piece.start
        while j < len(busy) and busy[j].end <= start:
            j += 1
        k = j
        while k < len(busy) and busy[k].start < piece.end:
            if busy[k].start > start:
                result.append(Interval(start, busy[k].start))
            start = max(start, busy[k].end)
            if start >= piece.end:
                break
            k += 1
        if start < piece.end:
            result.append(Interval(start, piece.end))
    return result


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The parts covered by both ``a`` and ``b`` (sorted, merged)."""
    left, right = merge(a), merge(b)
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            result.append(Interval(start, end))
        if left[i].end < right[j].end:
            i += 1
        else:
            j += 1
    return result


def clip_all(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    """``intervals`` merged and cut to ``window``."""
    return [c for c in (i.clip(window) for i in merge(intervals)) if c is not None]
