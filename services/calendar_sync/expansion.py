"""Busy time of one calendar object, expanded locally in the advisor's zone. Pure.

recurring-ical-events expands RRULE/RDATE, applies EXDATE and moved or cancelled
occurrences (RECURRENCE-ID, also RANGE=THISANDFUTURE); x-wr-timezone repairs Google
exports first. Then each occurrence is judged here:

- TRANSP:TRANSPARENT and STATUS:CANCELLED are free; STATUS:TENTATIVE is busy.
- A date (all-day) occurrence is busy for whole local days in ``tz``.
- Floating times (no zone) are read in ``tz``.
- Without DTEND, DURATION counts; without either a date lasts one day and a datetime
  lasts nothing (a reminder), so it is ignored.
- A local time in the spring-forward gap is read with the offset before the gap, one in
  the repeated autumn hour as the first (RFC 5545 3.3.5). An instance the rule generates
  lasts the hours and minutes of the series' own length as elapsed time (RFC 5545
  3.8.5.3, 3.3.6), so one starting in the gap or running over a change is not cut short or
  stretched; whole days of a length stay calendar days.
- Each TZID means this calendar's own VTIMEZONE unless it is an IANA name, whatever
  another calendar defined under the same name (see ``_read_own_timezones``).
- Our own meetings (UID ``...@jobcenter-planner``) are skipped: bookings count from the
  worker's own table, not from their copy in the calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import icalendar
import recurring_ical_events
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

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


def _elapsed_end(start: datetime, end: datetime) -> datetime:
    """The end of a generated instance that lasts ``end - start`` read on the clock.

    recurring-ical-events adds the series' length to each start on the clock (Python's
    arithmetic within one zone): an hour from 02:30 in the spring-forward gap would end at
    03:30 CEST, the instant it starts, and 30 minutes from the first 02:30 in the autumn
    would end at 03:00 CET, 90 minutes later. RFC 5545 gives every instance the same exact
    duration (3.8.5.3; hours, minutes and seconds of a DURATION are exact, 3.3.6), so that
    part is added as elapsed time; whole days stay calendar days.
    """
    if start.tzinfo is not end.tzinfo:
        return end
    length = end.replace(tzinfo=None) - start.replace(tzinfo=None)
    days = timedelta(days=length.days)
    return (start + days).astimezone(UTC) + (length - days)


def _written_ends(calendar: icalendar.Calendar, tz: ZoneInfo) -> frozenset[tuple[str, datetime]]:
    """(UID, start in UTC) of every occurrence whose end is written out as a time.

    A VEVENT with DTEND and an RDATE period with an end time end where they say, even
    across a change of offset; ends the expansion computes follow ``_elapsed_end``.
    """
    written: set[tuple[str, datetime]] = set()
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()
        start = event.get("DTSTART")
        if start is not None and "DTEND" in event and isinstance(start.dt, datetime):
            written.add((uid, _instant(start.dt, tz).astimezone(UTC)))
        for value in _values(event.get("RDATE")):
            for item in getattr(value, "dts", [value]):
                if isinstance(item.dt, tuple) and isinstance(item.dt[1], datetime):
                    written.add((uid, _instant(item.dt[0], tz).astimezone(UTC)))
    return frozenset(written)


def _values(prop: Any) -> list[Any]:
    return prop if isinstance(prop, list) else [] if prop is None else [prop]


ZONED_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "RDATE", "EXDATE")


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _rezoned(value: Any, zone: tzinfo | None) -> Any:
    if isinstance(value, tuple):  # an RDATE period: (start, end or duration)
        return tuple(_rezoned(part, zone) for part in value)
    return value.replace(tzinfo=zone) if isinstance(value, datetime) else value


def _read_own_timezones(calendar: icalendar.Calendar) -> None:
    """Give each time with a TZID the zone this calendar defines for it (RFC 5545 3.2.19).

    icalendar keeps the first VTIMEZONE it reads for a TZID in a cache for the whole
    process and then ignores the VTIMEZONE of every later calendar with that TZID. Outlook
    calls every user-defined zone "Customized Time Zone", so in the long-running worker an
    advisor's times would follow whichever calendar was read first. Here a TZID defined by
    a VTIMEZONE of this calendar gets that definition, unless it is an IANA name (whose
    rules stay IANA's); a TZID the calendar does not define, whose zone came from another
    calendar's VTIMEZONE, is read as icalendar reads it in a fresh process: a Windows name
    as its IANA zone, anything else as floating time. The wall-clock value is kept.
    """
    defined = {
        str(vtimezone["TZID"]): vtimezone.to_tz(lookup_tzid=False)
        for vtimezone in calendar.walk("VTIMEZONE")
        if "TZID" in vtimezone and str(vtimezone["TZID"]).strip("/") not in _iana_names()
    }
    for event in calendar.walk("VEVENT"):
        for name in ZONED_PROPERTIES:
            for value in _values(event.get(name)):
                tzid = value.params.get("TZID")
                if tzid is None:
                    continue
                for item in getattr(value, "dts", [value]):
                    first = item.dt[0] if isinstance(item.dt, tuple) else item.dt
                    if not isinstance(first, datetime):
                        continue  # a date: no zone to read
                    if str(tzid) in defined:
                        zone: tzinfo | None = defined[str(tzid)]
                    elif first.tzinfo is None or isinstance(first.tzinfo, ZoneInfo):
                        continue  # an IANA or Windows name, or floating: as icalendar read it
                    else:
                        olson = WINDOWS_TO_OLSON.get(str(tzid))
                        zone = ZoneInfo(olson) if olson else None
                    item.dt = _rezoned(item.dt, zone)


def _occurrence_interval(
    occurrence: Any, tz: ZoneInfo, written_ends: frozenset[tuple[str, datetime]]
) -> Interval | None:
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
        end_value = occurrence.decoded("DTEND")
        end = _instant(end_value, tz)
        uid = str(occurrence.get("UID", "")).strip()
        if isinstance(end_value, datetime) and (uid, start.astimezone(UTC)) not in written_ends:
            end = _elapsed_end(start, end)
    elif "DURATION" in occurrence:
        duration = occurrence.decoded("DURATION")
        if not isinstance(duration, timedelta):
            raise CalendarDataError(f"DURATION er ikke en varighed: {duration!r}")
        end = _instant(start_value + duration, tz) if not isinstance(start_value, datetime) else start + duration
    elif isinstance(start_value, datetime):
        return None
    else:
        end = local_midnight(start_value + timedelta(days=1), tz)
    # In UTC: Python compares two times of one zone on the clock, wrong in the gap and the repeated hour.
    return Interval(start, end) if start.astimezone(UTC) < end.astimezone(UTC) else None


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
        _read_own_timezones(calendar)
        written_ends = _written_ends(calendar, tz)
        occurrences: Iterable[Any] = recurring_ical_events.of(calendar).between(
            window.start.astimezone(tz), window.end.astimezone(tz)
        )
        spans = [
            span
            for occurrence in occurrences
            if not _is_own(occurrence) and (span := _occurrence_interval(occurrence, tz, written_ends))
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
