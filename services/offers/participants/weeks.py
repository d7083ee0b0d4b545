"""Free and booked times of an offer per ISO week (V-3, "Ledige tider for tilbuddet"), and the
bars of the page's chart: the table is the chart's text alternative. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

CHART_WIDTH = 640
LABEL_WIDTH = 90
BAR_HEIGHT = 28
ROW_HEIGHT = 40
VALUE_WIDTH = 150


@dataclass(frozen=True)
class WeekSeats:
    year: int
    week: int
    monday: date
    booked: int
    free: int

    @property
    def total(self) -> int:
        return self.booked + self.free


def weekly_seats(free: Iterable[datetime], booked: Iterable[datetime], zone: ZoneInfo) -> list[WeekSeats]:
    """One row per ISO week (in ``zone``) that has a free or a booked time, in order."""

    def week_of(moment: datetime) -> tuple[int, int]:
        year, week, _ = moment.astimezone(zone).isocalendar()
        return year, week

    free_count, booked_count = Counter(map(week_of, free)), Counter(map(week_of, booked))
    weeks = sorted(set(free_count) | set(booked_count))
    return [
        WeekSeats(year, week, date.fromisocalendar(year, week, 1), booked_count[(year, week)], free_count[(year, week)])
        for year, week in weeks
    ]


@dataclass(frozen=True)
class Bar:
    """One week's row of the chart, in the SVG's own units."""

    label: str
    y: float
    booked_width: float
    free_width: float
    value: str
    booked: int
    free: int


def chart_bars(weeks: list[WeekSeats], label: str, value: str) -> tuple[list[Bar], int]:
    """The bars (booked, then free, on one line per week) and the chart's height. ``label``
    and ``value`` are format strings of a row's label ("Uge {week}") and its numbers."""
    largest = max((w.total for w in weeks), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = [
        Bar(
            label=label.format(week=w.week, year=w.year),
            y=i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2,
            booked_width=round(room * w.booked / largest, 1),
            free_width=round(room * w.free / largest, 1),
            value=value.format(booked=w.booked, free=w.free),
            booked=w.booked,
            free=w.free,
        )
        for i, w in enumerate(weeks)
    ]
    return bars, max(1, len(weeks)) * ROW_HEIGHT
