"""Pure formatting for the pages and e-mails: weekdays, dates, times, ISO weeks, in Danish
(``locale="da"``, the default, which the e-mails use) or English (``locale="en"``).

Danish: ``tirsdag 8. december 2026 kl. 09.00-09.30``; English: ``Tuesday 8 December 2026,
09:00-09:30``. Nothing here knows Flask or the database; every datetime given is aware and
is shown in the zone it carries (the offer's zone, Europe/Copenhagen)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

DANISH, ENGLISH = "da", "en"
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip
ENGLISH_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _english(locale: str) -> bool:
    return locale == ENGLISH


def day_title(day: date, locale: str = DANISH) -> str:
    """``Tirsdag 1. december`` / ``Tuesday 1 December``: a day's legend, capitalised."""
    if _english(locale):
        return f"{ENGLISH_WEEKDAYS[day.weekday()]} {day.day} {ENGLISH_MONTHS[day.month - 1]}"
    return f"{WEEKDAYS[day.weekday()].capitalize()} {day.day}. {MONTHS[day.month - 1]}"


def day_in_sentence(day: date, locale: str = DANISH) -> str:
    """``tirsdag 1. december`` / ``Tuesday 1 December``: a day inside a sentence."""
    return day_title(day, locale) if _english(locale) else day_title(day, locale).lower()


def long_date(day: date, locale: str = DANISH) -> str:
    """``tirsdag 1. december 2026`` / ``Tuesday 1 December 2026``: a date inside a sentence."""
    if _english(locale):
        return f"{day_title(day, locale)} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {day.day}. {MONTHS[day.month - 1]} {day.year}"


def clock(moment: datetime, locale: str = DANISH) -> str:
    """``09.30`` (the Danish way to write a time of day) / ``09:30``."""
    return f"{moment.hour:02d}{':' if _english(locale) else '.'}{moment.minute:02d}"


def moment(instant: datetime, locale: str = DANISH) -> str:
    """``tirsdag 8. december 2026 kl. 09.00`` / ``Tuesday 8 December 2026, 09:00``: one instant."""
    separator = ", " if _english(locale) else " kl. "
    return f"{long_date(instant.date(), locale)}{separator}{clock(instant, locale)}"


def time_span(start: datetime, end: datetime, locale: str = DANISH) -> str:
    """``09.00-09.45`` / ``09:00-09:45``."""
    return f"{clock(start, locale)}-{clock(end, locale)}"


def when(start: datetime, end: datetime, locale: str = DANISH) -> str:
    """``tirsdag 8. december 2026 kl. 09.00-09.30`` / ``Tuesday 8 December 2026, 09:00-09:30``."""
    separator = ", " if _english(locale) else " kl. "
    return f"{long_date(start.date(), locale)}{separator}{time_span(start, end, locale)}"


def duration(minutes: int, locale: str = DANISH) -> str:
    """``45 minutter``, ``1 time``, ``1 time og 30 minutter`` / ``45 minutes``, ``1 hour``,
    ``1 hour and 30 minutes``."""
    hours, rest = divmod(minutes, 60)
    if _english(locale):
        words = (("hour", "hours"), ("minute", "minutes"), "and")
    else:
        words = (("time", "timer"), ("minut", "minutter"), "og")
    (hour, hours_word), (minute, minutes_word), joiner = words
    parts = [f"{hours} {hour if hours == 1 else hours_word}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} {minute if rest == 1 else minutes_word}")
    return f" {joiner} ".join(parts)


def iso_week(day: date) -> str:
    """``2026-W50``: the ISO week ``day`` lies in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(value: str | None) -> date | None:
    """The Monday of an ISO week written ``2026-W50``; None for anything else, and for a year
    outside 2000-2999 (no meeting is booked there, and 9999's last week has no next one)."""
    match = ISO_WEEK.match(value or "")
    if not match or not 2000 <= int(match[1]) <= 2999:
        return None
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None


def week_title(monday: date, locale: str = DANISH) -> str:
    """``Uge 50: 7.-13. december 2026`` / ``Week 50: 7 to 13 December 2026`` (months and
    years named where they differ)."""
    sunday = monday + timedelta(days=6)
    week = monday.isocalendar()[1]
    if _english(locale):
        first = f"{monday.day}"
        if monday.month != sunday.month:
            first += f" {ENGLISH_MONTHS[monday.month - 1]}"
        if monday.year != sunday.year:
            first += f" {monday.year}"
        return f"Week {week}: {first} to {sunday.day} {ENGLISH_MONTHS[sunday.month - 1]} {sunday.year}"
    if monday.month == sunday.month:
        first = f"{monday.day}."
    elif monday.year == sunday.year:
        first = f"{monday.day}. {MONTHS[monday.month - 1]}"
    else:
        first = f"{monday.day}. {MONTHS[monday.month - 1]} {monday.year}"
    return f"Uge {week}: {first}-{sunday.day}. {MONTHS[sunday.month - 1]} {sunday.year}"
