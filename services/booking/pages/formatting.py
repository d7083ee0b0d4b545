"""Pure Danish formatting for the citizen's pages: weekdays, dates, times (HH.MM), ISO weeks.

Nothing here knows Flask or the database; every datetime given is aware and is shown in the
zone it carries (the offer's zone, Europe/Copenhagen)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def day_title(day: date) -> str:
    """``Tirsdag 1. december``: a day's legend, capitalised."""
    return f"{WEEKDAYS[day.weekday()].capitalize()} {day.day}. {MONTHS[day.month - 1]}"


def long_date(day: date) -> str:
    """``tirsdag 1. december 2026``: a date inside a sentence."""
    return f"{WEEKDAYS[day.weekday()]} {day.day}. {MONTHS[day.month - 1]} {day.year}"


def clock(moment: datetime) -> str:
    """``09.30``: the Danish way to write a time of day."""
    return f"{moment.hour:02d}.{moment.minute:02d}"


def time_span(start: datetime, end: datetime) -> str:
    """``09.00-09.45``."""
    return f"{clock(start)}-{clock(end)}"


def duration(minutes: int) -> str:
    """``45 minutter``, ``1 time``, ``1 time og 30 minutter``."""
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} {'time' if hours == 1 else 'timer'}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} {'minut' if rest == 1 else 'minutter'}")
    return " og ".join(parts)


def iso_week(day: date) -> str:
    """``2026-W50``: the ISO week ``day`` lies in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(value: str | None) -> date | None:
    """The Monday of an ISO week written ``2026-W50``; None for anything else."""
    match = ISO_WEEK.match(value or "")
    if not match:
        return None
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None


def week_title(monday: date) -> str:
    """``Uge 50: 7.-13. december 2026`` (months and years named where they differ)."""
    sunday = monday + timedelta(days=6)
    week = monday.isocalendar()[1]
    if monday.month == sunday.month:
        first = f"{monday.day}."
    elif monday.year == sunday.year:
        first = f"{monday.day}. {MONTHS[monday.month - 1]}"
    else:
        first = f"{monday.day}. {MONTHS[monday.month - 1]} {monday.year}"
    return f"Uge {week}: {first}-{sunday.day}. {MONTHS[sunday.month - 1]} {sunday.year}"
