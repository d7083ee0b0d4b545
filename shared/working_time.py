"""When an advisor works: weekly hours with breaks, date exceptions, Danish public
holidays and the job centre's own closing days (A-3). Pure.

Grundlovsdag (5 June), juleaftensdag (24 December) and nytårsaftensdag (31 December) are
not public holidays by law; each job centre chooses whether it is closed on them
(closed by default, as most are). 1 May is a working day unless the centre closes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays

from shared.intervals import Interval, merge

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

WeeklyHours = dict[int, list[tuple[time, time]]]
"""Working time per ISO weekday (0 = Monday): local ``(from, to)`` pairs; a gap is a break."""


def _parse_ranges(label: str, ranges: Sequence[Sequence[str]]) -> list[tuple[time, time]]:
    """Local ``[from, to]`` pairs of one day, sorted; ValueError when bad or overlapping."""
    if isinstance(ranges, str) or not isinstance(ranges, Sequence):
        raise ValueError(f"{label}: give a list of [from, to] ranges")
    pairs: list[tuple[time, time]] = []
    for pair in ranges:
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"{label}: each range needs a start and an end")
        start, end = (time.fromisoformat(str(v)) for v in pair)
        if not start < end:
            raise ValueError(f"{label}: {start:%H:%M} must be before {end:%H:%M}")
        pairs.append((start, end))
    pairs.sort()
    for (_, prev_end), (next_start, _) in pairwise(pairs):
        if next_start < prev_end:
            raise ValueError(f"{label}: working ranges overlap")
    return pairs


def parse_weekly_hours(data: Mapping[str, Sequence[Sequence[str]]]) -> WeeklyHours:
    """Read ``{"mon": [["08:00", "12:00"], ["12:30", "15:30"]], ...}``.

    Raises ValueError with a readable message on unknown days, bad times, ranges that
    end before they start or that overlap.
    """
    hours: WeeklyHours = {}
    for key, ranges in data.items():
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday {key!r}; use one of {', '.join(WEEKDAYS)}")
        hours[WEEKDAYS.index(key)] = _parse_ranges(key, ranges)
    return hours


DayExceptions = dict[date, list[tuple[time, time]]]
"""Working time on single dates instead of the weekly hours; an empty list is a day off."""


def parse_day_exceptions(data: Mapping[str, Sequence[Sequence[str]]]) -> DayExceptions:
    """Read ``{"2026-12-23": [], "2026-12-22": [["09:00", "11:00"]]}`` (ValueError when bad)."""
    exceptions: DayExceptions = {}
    for key, ranges in data.items():
        try:
            day = date.fromisoformat(str(key))
        except ValueError:
            raise ValueError(f"{key!r} is not a date (YYYY-MM-DD)") from None
        exceptions[day] = _parse_ranges(key, ranges)
    return exceptions


def weekly_hours_to_json(hours: WeeklyHours) -> dict[str, list[list[str]]]:
    return {
        WEEKDAYS[day]: [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in ranges]
        for day, ranges in sorted(hours.items())
    }


OPTIONAL_DAYS = {
    "constitution_day": (6, 5),
    "christmas_eve": (12, 24),
    "new_years_eve": (12, 31),
}


@dataclass(frozen=True, slots=True)
class ClosingPolicy:
    """What closes a job centre besides weekends and working hours."""

    closed_optional_days: frozenset[str] = frozenset(OPTIONAL_DAYS)
    local_closing_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = set(self.closed_optional_days) - set(OPTIONAL_DAYS)
        if unknown:
            raise ValueError(f"unknown optional days: {', '.join(sorted(unknown))}")


def closed_days(policy: ClosingPolicy, first: date, last_exclusive: date) -> dict[date, str]:
    """Every closed date in ``[first, last_exclusive)`` with its Danish name."""
    years = range(first.year, last_exclusive.year + 1)
    public = holidays.country_holidays("DK", years=years, language="da")
    result: dict[date, str] = {d: str(name) for d, name in public.items() if first <= d < last_exclusive}
    names = {"constitution_day": "Grundlovsdag", "christmas_eve": "Juleaftensdag", "new_years_eve": "Nytårsaftensdag"}
    for key in policy.closed_optional_days:
        month, day = OPTIONAL_DAYS[key]
        for year in years:
            closed = date(year, month, day)
            if first <= closed < last_exclusive:
                result.setdefault(closed, names[key])
    for closed in policy.local_closing_days:
        if first <= closed < last_exclusive:
            result.setdefault(closed, "Lukkedag")
    return dict(sorted(result.items()))


def working_time(
    hours: WeeklyHours,
    first: date,
    last_exclusive: date,
    tz: ZoneInfo,
    *,
    exceptions: Mapping[date, Iterable[tuple[time, time]]] | None = None,
    closed: Iterable[date] = (),
) -> list[Interval]:
    """The advisor's working time as instants.

    ``exceptions`` replace the weekly hours on their dates (an empty list: a day off).
    ``closed`` dates (holidays, closing days) have no working time at all, exceptions
    included. Wall-clock times are resolved on each date in ``tz``.
    """
    overrides = exceptions or {}
    shut = set(closed)
    result: list[Interval] = []
    day = first
    while day < last_exclusive:
        if day not in shut:
            ranges = overrides[day] if day in overrides else hours.get(day.weekday(), ())
            for start, end in ranges:
                result.append(Interval(datetime.combine(day, start, tzinfo=tz), datetime.combine(day, end, tzinfo=tz)))
        day += timedelta(days=1)
    return merge(result)


def working_intervals(
    hours: WeeklyHours, first: date, last_exclusive: date, tz: ZoneInfo, closed_days: Iterable[date] = ()
) -> list[Interval]:
    """The weekly hours from ``first`` up to ``last_exclusive`` minus ``closed_days``."""
    return working_time(hours, first, last_exclusive, tz, closed=closed_days)
