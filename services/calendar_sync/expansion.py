"""Busy time of one calendar object, expanded locally in the advisor's zone. Pure.

recurring-ical-events expands RRULE/RDATE, applies EXDATE and moved or cancelled
occurrences (RECURRENCE-ID, also RANGE=THISANDFUTURE); x-wr-timezone repairs Google
exports first. Then each occurrence is judged here:

- TRANSP:TRANSPARENT and STATUS:CANCELLED are free; STATUS:TENTATIVE is busy.
- A date (all-day) occurrence is busy for whole local days in ``tz``.
- Floating times (no zone) are read in ``tz``.
- Without DTEND, DURATION counts; without either a date lasts one day and a datetime
  lasts nothing (a reminder), so it is ignored.
- Our own meetings (UID ``...@jobcenter-planner``) are skipped: bookings count from the
  worker's own table, not from their copy in the calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from shared.intervals import Interval, merge
from shared.timeutil import local_midnight

OWN_UID_SUFFIX = "@jobcenter-planner"


class CalendarDataError(Exception):
    """A calendar object that cannot be read; the sync records it and goes on."""


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None or value.utcoffset() is None else value
    return local_midnight(value, tz)


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    return str(value).strip().upper() if value is not None else ""


def _occurrence_interval(occurrence: Any, tz: ZoneInfo) -> Interval | None:
    """The busy span of one expanded occurrence, or None when it blocks nothing."""
    if _text(occurrence, "TRANSP") == "TRANSPARENT" or _text(occurrence, "STATUS") == "CANCELLED":
        return None
    if "DTSTART" not in occurrence:
        raise CalendarDataError("VEVENT uden DTSTART")
    start_value = occurrence.decoded("DTSTART")
    if not isinstance(start_value, date):
        raise CalendarDataError(f"DTSTART er ikke et tidspunkt: {start_value!r}")
    start = _instant(start_value, tz)
    if "DTEND" in occurrence:
        end = _instant(occurrence.decoded("DTEND"), tz)
    elif "DURATION" in occurrence:
        duration = occurrence.decoded("DURATION")
        if not isinstance(duration, timedelta):
            raise CalendarDataError(f"DURATION er ikke en varighed: {duration!r}")
        end = _instant(start_value + duration, tz) if not isinstance(start_value, datetime) else start + duration
    elif isinstance(start_value, datetime):
        return None
    else:
        end = local_midnight(start_value + timedelta(days=1), tz)
    return Interval(start, end) if start < end else None


def _is_own(component: Any) -> bool:
    return str(component.get("UID", "")).strip().endswith(OWN_UID_SUFFIX)


def parse_calendar(ics_text: str) -> icalendar.Calendar:
    """The calendar in ``ics_text``; raises CalendarDataError when it is not iCalendar."""
    try:
        calendars = icalendar.Calendar.from_ical(ics_text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError ... on bad input
        raise CalendarDataError(f"ugyldigt iCalendar-objekt: {exc}") from exc
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        raise CalendarDataError("objektet indeholder ikke præcis én VCALENDAR")
    return calendars[0]


UNSUPPORTED_FREQUENCIES = frozenset({"SECONDLY", "MINUTELY"})
"""No meeting repeats every second or minute; expanding such a rule over the sync window
takes seconds and would hold up every other calendar behind it."""


def _check_rules(calendar: icalendar.Calendar) -> None:
    """Refuse recurrence rules the expansion would loop on forever or for seconds.

    ``INTERVAL`` must be a positive integer (RFC 5545 3.3.10); dateutil repeats the first
    occurrence endlessly on ``INTERVAL=0``, and servers such as Radicale store and serve it.
    ``FREQ=SECONDLY`` and ``MINUTELY`` are refused (see ``UNSUPPORTED_FREQUENCIES``).
    """
    for component in calendar.walk("VEVENT"):
        rules = component.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
            if not isinstance(rule, dict):
                continue
            intervals = rule.get("INTERVAL", [])
            for interval in intervals if isinstance(intervals, list) else [intervals]:
                if not isinstance(interval, int) or interval < 1:
                    raise CalendarDataError(f"RRULE med ugyldigt INTERVAL (skal være et positivt heltal): {interval!r}")
            frequencies = rule.get("FREQ", [])
            for frequency in frequencies if isinstance(frequencies, list) else [frequencies]:
                if str(frequency).upper() in UNSUPPORTED_FREQUENCIES:
                    raise CalendarDataError(f"RRULE med FREQ={frequency} understøttes ikke (hvert sekund/minut).")


def busy_intervals(ics_text: str, window: Interval, tz: ZoneInfo) -> list[Interval]:
    """Every busy span of the object in ``ics_text`` inside ``window``, merged and sorted.

    Raises CalendarDataError when the object cannot be parsed or expanded.
    """
    calendar = parse_calendar(ics_text)
    _check_rules(calendar)
    try:
        occurrences: Iterable[Any] = recurring_ical_events.of(calendar).between(
            window.start.astimezone(tz), window.end.astimezone(tz)
        )
        spans = [
            span
            for occurrence in occurrences
            if not _is_own(occurrence) and (span := _occurrence_interval(occurrence, tz))
        ]
    except CalendarDataError:
        raise
    except Exception as exc:  # a bad RRULE, a date where a time was expected ...
        raise CalendarDataError(f"kalenderobjektet kan ikke udfoldes: {exc}") from exc
    return [clipped for span in merge(spans) if (clipped := span.clip(window)) is not None]


def object_uid(ics_text: str) -> str | None:
    """The UID of the first VEVENT in ``ics_text``, if it can be read (for display)."""
    try:
        calendar = parse_calendar(ics_text)
    except CalendarDataError:
        return None
    for event in calendar.walk("VEVENT"):
        if "UID" in event:
            return str(event["UID"])
    return None
