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

Anyone can put an object into an advisor's calendar (an invitation), so an object is read
within limits, and one beyond them is refused as unreadable (``CalendarDataError``) like a
broken one; the other objects of the calendar still count:

- before parsing: its size (``MAX_OBJECT_CHARS``) and its ``BEGIN:VEVENT`` and
  ``BEGIN:VTIMEZONE`` lines (``MAX_EVENTS``, ``MAX_TIMEZONES``);
- once parsed, before expanding: its VEVENT and VTIMEZONE components again (a folded
  ``BEGIN`` line escapes the first count), its RDATE and EXDATE values (``MAX_RDATES``,
  ``MAX_EXDATES``) and its rules: ``INTERVAL`` a positive integer, no ``FREQ=SECONDLY`` or
  ``MINUTELY``, and at most ``MAX_OCCURRENCES_PER_DAY`` occurrences a day per VEVENT, as
  its rules' BYHOUR x BYMINUTE x BYSECOND lists multiply (``_occurrences_per_day``); a rule
  of a VTIMEZONE is yearly with one time of day;
- while expanding, one occurrence at a time (``_occurrences``): at most
  ``MAX_OCCURRENCES`` occurrences in the window and ``EXPANSION_SECONDS`` for the whole
  object (``_Budget``), checked between occurrences and, where a rule or a zone could run
  for long without giving one, inside the library too (a profile hook; see
  ``UNWATCHED_STEPS`` for where).

The messages name the kind of problem in fixed Danish sentences and never quote the
object: its text is someone else's, and the message is shown to staff and logged.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from math import ceil
from types import FrameType, TracebackType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import icalendar
import recurring_ical_events
from dateutil.rrule import rrulebase
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from recurring_ical_events import CalendarQuery

from shared.intervals import Interval, merge
from shared.timeutil import local_midnight

OWN_UID_SUFFIX = "@jobcenter-planner"

MAX_OBJECT_CHARS = 1 << 20
"""Characters of one object's iCalendar text (1 MiB of ASCII), checked before parsing. A
meeting is a few KB, a long series with hundreds of EXDATEs and moved occurrences some
100 KB; parsing 1 MiB takes about a second."""

MAX_EVENTS = 1000
"""VEVENT components in one object. An object is one event or one series with its moved
or changed occurrences (RECURRENCE-ID); 1000 is nearly twenty years of a weekly meeting,
every one moved."""

MAX_TIMEZONES = 50
"""VTIMEZONE components in one object: one per zone its times use."""

MAX_RDATES = 2000
"""RDATE values in one object (over all its VEVENTs and RDATE lines)."""

MAX_EXDATES = 2000
"""EXDATE values in one object: almost forty years of a weekly series, every week left out."""

MAX_OCCURRENCES_PER_DAY = 48
"""Occurrences a VEVENT's rules may give in one day: a meeting every half hour is already
absurd. BYHOUR=0..23;BYMINUTE=0..59;BYSECOND=0..59 would be 86,400 a day, gigabytes of
occurrences over the window."""

MAX_OCCURRENCES = 10_000
"""Occurrences of one object inside the sync window (78 days by default, 408 at most):
some 130 a day by default, a meeting every half hour all day for 200 days."""

EXPANSION_SECONDS = 2.0
"""Time one object's expansion may take (``time.monotonic``); a normal object takes a few
milliseconds. Every object of every advisor is read by the same worker."""

TOO_BIG = f"kalenderobjektet er for stort (mere end {MAX_OBJECT_CHARS} tegn)"
TOO_MANY_EVENTS = f"kalenderobjektet indeholder for mange begivenheder (mere end {MAX_EVENTS} VEVENT)"
TOO_MANY_TIMEZONES = f"kalenderobjektet indeholder for mange tidszoner (mere end {MAX_TIMEZONES} VTIMEZONE)"
TOO_MANY_RDATES = f"kalenderobjektet har for mange ekstra datoer (mere end {MAX_RDATES} RDATE-værdier)"
TOO_MANY_EXDATES = f"kalenderobjektet har for mange undtagne datoer (mere end {MAX_EXDATES} EXDATE-værdier)"
TOO_MANY_PER_DAY = f"gentagelsesreglen giver for mange forekomster pr. døgn (mere end {MAX_OCCURRENCES_PER_DAY})"
TIMEZONE_RULE = "tidszonens gentagelsesregel er ikke én årlig overgang"
BAD_INTERVAL = "RRULE med ugyldigt INTERVAL (skal være et positivt heltal)"
NOT_ICALENDAR = "ugyldigt iCalendar-objekt"
UNKNOWN_ZONE = "kalenderobjektet bruger en ukendt tidszone"
CANNOT_EXPAND = "kalenderobjektet kan ikke udfoldes (ugyldig dato, tid eller gentagelsesregel)"
TOO_MANY_OCCURRENCES = "kalenderobjektet giver for mange forekomster i synkroniseringsvinduet"
TOO_SLOW = "kalenderobjektet tager for lang tid at udfolde"


class CalendarDataError(Exception):
    """A calendar object that cannot be read; the sync records it and goes on.

    The message names the kind of problem and never quotes the object (see the module
    docstring): it is shown to staff and logged.
    """


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
    defined = {str(vtimezone["TZID"]): vtimezone.to_tz(lookup_tzid=False) for vtimezone in _own_timezones(calendar)}
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


def _own_timezones(calendar: icalendar.Calendar) -> list[Any]:
    """The VTIMEZONEs whose definition is read: those not named by an IANA name."""
    return [
        vtimezone
        for vtimezone in calendar.walk("VTIMEZONE")
        if "TZID" in vtimezone and str(vtimezone["TZID"]).strip("/") not in _iana_names()
    ]


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
        raise CalendarDataError("DTSTART er ikke et tidspunkt")
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
            raise CalendarDataError("DURATION er ikke en varighed")
        end = _instant(start_value + duration, tz) if not isinstance(start_value, datetime) else start + duration
    elif isinstance(start_value, datetime):
        return None
    else:
        end = local_midnight(start_value + timedelta(days=1), tz)
    # In UTC: Python compares two times of one zone on the clock, wrong in the gap and the repeated hour.
    return Interval(start, end) if start.astimezone(UTC) < end.astimezone(UTC) else None


def _is_own(component: Any) -> bool:
    return str(component.get("UID", "")).strip().endswith(OWN_UID_SUFFIX)


_COMPONENT_LINE = re.compile(r"^BEGIN:(VEVENT|VTIMEZONE)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)


def _check_components(events: int, timezones: int) -> None:
    if events > MAX_EVENTS:
        raise CalendarDataError(TOO_MANY_EVENTS)
    if timezones > MAX_TIMEZONES:
        raise CalendarDataError(TOO_MANY_TIMEZONES)


def _check_text(ics_text: str) -> None:
    """Refuse, before parsing, an object too big or with too many components to parse.

    The ``BEGIN`` lines are counted as written; one folded over two lines is not seen
    here, and is counted in the parsed calendar (``_check_counts``).
    """
    if len(ics_text) > MAX_OBJECT_CHARS:
        raise CalendarDataError(TOO_BIG)
    found = Counter(match.group(1).upper() for match in _COMPONENT_LINE.finditer(ics_text))
    _check_components(found["VEVENT"], found["VTIMEZONE"])


def parse_calendar(ics_text: str) -> icalendar.Calendar:
    """The calendar in ``ics_text``; raises CalendarDataError when it is not iCalendar or
    is beyond the size and component limits (``MAX_OBJECT_CHARS``, ``MAX_EVENTS``,
    ``MAX_TIMEZONES``)."""
    _check_text(ics_text)
    try:
        calendars = icalendar.Calendar.from_ical(ics_text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError ... on bad input
        raise CalendarDataError(NOT_ICALENDAR) from exc
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        raise CalendarDataError("objektet indeholder ikke præcis én VCALENDAR")
    return calendars[0]


def _value_count(components: Iterable[Any], name: str) -> int:
    """How many values the ``name`` properties (RDATE, EXDATE) of ``components`` hold."""
    return sum(len(getattr(prop, "dts", [prop])) for component in components for prop in _values(component.get(name)))


def _check_counts(calendar: icalendar.Calendar) -> None:
    """Refuse a parsed object with more components, RDATEs or EXDATEs than the limits."""
    events = calendar.walk("VEVENT")
    _check_components(len(events), len(calendar.walk("VTIMEZONE")))
    if _value_count(events, "RDATE") > MAX_RDATES:
        raise CalendarDataError(TOO_MANY_RDATES)
    if _value_count(events, "EXDATE") > MAX_EXDATES:
        raise CalendarDataError(TOO_MANY_EXDATES)


UNSUPPORTED_FREQUENCIES = frozenset({"SECONDLY", "MINUTELY"})
"""No meeting repeats every second or minute; expanding such a rule over the sync window
takes seconds and would hold up every other calendar behind it."""


Rule = dict[str, list[Any]]
"""One RRULE as its parts: name (upper case) -> the values."""


def _rules(component: Any) -> list[Rule]:
    """The RRULEs of ``component``, read from icalendar's ``vRecur`` once."""
    return [
        {str(name).upper(): values if isinstance(values, list) else [values] for name, values in rule.items()}
        for rule in _values(component.get("RRULE"))
        if isinstance(rule, dict)
    ]


def _part(rule: Rule, name: str) -> list[Any]:
    return rule.get(name, [])


def _frequency(rule: Rule) -> str:
    frequencies = _part(rule, "FREQ")
    return str(frequencies[0]).upper() if frequencies else ""


def _occurrences_per_day(rule: Rule) -> int:
    """At most how many occurrences ``rule`` gives in one day.

    BYMONTH, BYWEEKNO, BYYEARDAY, BYMONTHDAY and BYDAY choose days and BYSETPOS chooses
    among what the rule gives, so neither adds occurrences within a day; the times of day
    are every combination of BYHOUR x BYMINUTE x BYSECOND (each one value, the start's,
    when absent). ``FREQ=HOURLY`` gives 24/INTERVAL hours a day, or fewer by BYHOUR.
    (Assumes INTERVAL was checked; SECONDLY and MINUTELY are refused before.)
    """

    def distinct(name: str) -> int:
        return max(len({str(value) for value in _part(rule, name)}), 1)

    hours = distinct("BYHOUR")
    if _frequency(rule) == "HOURLY":
        intervals = _part(rule, "INTERVAL")
        every_hours = ceil(24 / intervals[0]) if intervals else 24
        hours = min(hours, every_hours) if _part(rule, "BYHOUR") else every_hours
    return hours * distinct("BYMINUTE") * distinct("BYSECOND")


def _check_rule(rule: Rule) -> None:
    for interval in _part(rule, "INTERVAL"):
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
            raise CalendarDataError(BAD_INTERVAL)
    frequency = _frequency(rule)
    if frequency in UNSUPPORTED_FREQUENCIES:
        raise CalendarDataError(f"RRULE med FREQ={frequency} understøttes ikke (hvert sekund/minut)")


def _check_rules(calendar: icalendar.Calendar) -> None:
    """Refuse recurrence rules the expansion would loop on forever, for seconds, or into
    gigabytes.

    ``INTERVAL`` must be a positive integer (RFC 5545 3.3.10); dateutil repeats the first
    occurrence endlessly on ``INTERVAL=0``, and servers such as Radicale store and serve it.
    ``FREQ=SECONDLY`` and ``MINUTELY`` are refused (see ``UNSUPPORTED_FREQUENCIES``), and so
    are a VEVENT's rules giving together more than ``MAX_OCCURRENCES_PER_DAY`` a day
    (``_occurrences_per_day``). A STANDARD or DAYLIGHT rule of a VTIMEZONE this calendar
    defines (see ``_read_own_timezones``) is a change of offset: yearly, at one time of day;
    the zone runs it from its DTSTART, often 1601, at every lookup of a time.
    """
    for event in calendar.walk("VEVENT"):
        rules = _rules(event)
        for rule in rules:
            _check_rule(rule)
        if sum(_occurrences_per_day(rule) for rule in rules) > MAX_OCCURRENCES_PER_DAY:
            raise CalendarDataError(TOO_MANY_PER_DAY)
    for vtimezone in _own_timezones(calendar):
        for observance in vtimezone.subcomponents:
            for rule in _rules(observance):
                _check_rule(rule)
                if _frequency(rule) != "YEARLY" or _occurrences_per_day(rule) > 1:
                    raise CalendarDataError(TIMEZONE_RULE)


_PLAIN_PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY", "BYMONTH"})
_PERIOD_DAYS = {"DAILY": 1.0, "WEEKLY": 7.0, "MONTHLY": 30.44, "YEARLY": 365.25}
_PERIOD_STEPS = {"DAILY": 1, "WEEKLY": 2, "MONTHLY": 3, "YEARLY": 15}
"""What dateutil's step to the next period costs, in steps of a daily rule (about 1.5 µs)."""
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_WEEKDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")

UNWATCHED_STEPS = 30_000
"""Steps (about 1.5 µs each, see ``_plain_steps``) an object's events' rules may take
unwatched, from their DTSTART up to the end of the window.

Watching an expansion (``_Budget``'s hook) doubles the time its library code takes, so it
is kept for the objects that need it (see ``busy_intervals``): a rule not of a plain form
(``_plain_steps``), or rules running a long way from their DTSTART to the window. A weekly
meeting since 1990 takes some 7,000 steps."""

UNWATCHED_ZONE_STEPS = 1_000_000
"""Steps an object's own zones (its VTIMEZONEs' rules) may take unwatched, up to the year
9999: the most any lookups of times can make them take, once (about 1.5 s). Outlook's
zone, two yearly rules from 1601, takes some 340,000."""


def _plain_steps(rule: Rule, start: date, until: date) -> int | None:
    """About how many steps dateutil takes to run ``rule`` from ``start`` up to ``until``,
    when the rule has a plain form; None for any other rule.

    A plain rule gives an occurrence in (nearly) every period of its frequency: DAILY,
    WEEKLY, MONTHLY or YEARLY, days chosen by BYDAY, BYMONTHDAY and BYMONTH only in the
    ways the days always exist (the 1st to 4th weekday of a month; no BYMONTHDAY only on
    days its BYMONTH lack). dateutil searches another rule period by period for a match, and
    up to the year 9999 when there is none (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``: seconds).
    """
    frequency = _frequency(rule)
    if frequency not in _PERIOD_DAYS or not set(rule) <= _PLAIN_PARTS:
        return None
    try:
        months = [int(month) for month in _part(rule, "BYMONTH")]  # RFC 7529's "3L" is not plain
        monthdays = [int(day) for day in _part(rule, "BYMONTHDAY")]
        interval = int((_part(rule, "INTERVAL") or [1])[0])
        count = int(counts[0]) if (counts := _part(rule, "COUNT")) else None
    except (TypeError, ValueError):
        return None
    weekdays = [_WEEKDAY.fullmatch(str(day).upper()) for day in _part(rule, "BYDAY")]
    if None in weekdays or (monthdays and weekdays) or not all(1 <= month <= 12 for month in months):
        return None
    if untils := _part(rule, "UNTIL"):
        last = untils[0]
        until = min(until, last.date() if isinstance(last, datetime) else last)
    ordinals = [abs(int(day.group(1))) for day in weekdays if day is not None and day.group(1)]
    if frequency in ("DAILY", "WEEKLY"):
        if months or monthdays or (frequency == "DAILY" and weekdays and (interval != 1 or ordinals)):
            return None
        per_period = len(weekdays) or 1
    elif frequency == "MONTHLY":
        if months or any(n > 4 for n in ordinals):
            return None
        per_period = len(monthdays) or 5 * len(weekdays) or 1
    else:
        days = monthdays or ([start.day] if months and not weekdays else [])
        if any(n > (4 if months else 52) for n in ordinals) or (
            months and days and not any(abs(day) <= _MONTH_DAYS[month - 1] for month in months for day in days)
        ):
            return None
        per_period = (len(months) or (12 if monthdays else 1)) * (
            len(monthdays) or len(weekdays) * (5 if months else 53) or 1
        )
    periods = max((until - start).days, 0) / _PERIOD_DAYS[frequency] / max(interval, 1) + 1
    if count is not None:
        periods = min(periods, 4 * count)
    return ceil(periods * (_PERIOD_STEPS[frequency] + per_period))


def _plain_enough(components: Iterable[Any], until: date, limit: int) -> bool:
    """Whether the rules of ``components`` are all plain and take together at most
    ``limit`` steps from their DTSTART up to ``until`` (see ``_plain_steps``)."""
    total = 0
    for component in components:
        rules = _rules(component)
        if not rules:
            continue
        if "DTSTART" not in component:
            return False
        start = component.decoded("DTSTART")
        start = start.date() if isinstance(start, datetime) else start
        for rule in rules:
            steps = _plain_steps(rule, start, until)
            if steps is None:
                return False
            total += steps
    return total <= limit


_HOOK_STRIDE = 1000
"""Function calls between two looks at the clock inside ``_Budget``'s hook."""


class _OutOfTime(BaseException):
    """The expansion's time is up. A BaseException, so that no ``except Exception`` of a
    library it passes through takes it for an error of its own and goes on."""


class _Budget:
    """The time one object's expansion may take, checked while it runs.

    ``check`` is called between two occurrences and before each series. Inside
    ``with budget:`` it is also called every ``_HOOK_STRIDE`` Python function calls, by a
    profile hook (``sys.setprofile``, this thread only): dateutil can run for seconds
    without yielding (see ``_plain_steps``), and a zone read from a VTIMEZONE runs its rules
    at a lookup. The hook is left out when a profiler already holds it; then only the
    checks between occurrences apply.
    """

    def __init__(self, seconds: float, clock: Callable[[], float]):
        self.seconds = seconds
        self._clock = clock
        self._deadline = clock() + seconds
        self._calls = 0
        self._installed: list[bool] = []

    def check(self) -> None:
        """Raise ``_OutOfTime`` once the time is up."""
        if self._clock() > self._deadline:
            raise _OutOfTime

    def _hook(self, frame: FrameType, event: str, arg: Any) -> None:
        self._calls += 1
        if self._calls >= _HOOK_STRIDE:
            self._calls = 0
            self.check()

    def __enter__(self) -> None:
        install = sys.getprofile() is None
        if install:
            sys.setprofile(self._hook)
        self._installed.append(install)

    def __exit__(self, *exc_info: object) -> None:
        if self._installed.pop():
            sys.setprofile(None)

    def watched(self, iterator: Iterator[Any]) -> Iterator[Any]:
        """``iterator``'s items, each step to the next one taken inside ``with self:``."""
        while True:
            with self:
                item = next(iterator, _END)
            if item is _END:
                return
            yield item


_END = object()

_ITER_CACHED = getattr(getattr(rrulebase, "_iter_cached", None), "__code__", None)
"""The code of dateutil's ``rrulebase._iter_cached`` (2.9), if it still has one."""


def _unlock_rules(traceback: TracebackType | None) -> None:
    """Unlock every dateutil rule ``_OutOfTime`` interrupted while it filled its cache.

    ``rrulebase._iter_cached`` holds the rule's lock while computing the next values and
    releases it without ``finally``; the next reader of a rule left locked, in this
    long-running worker, would wait forever. ``_invalidate_cache`` releases the lock and
    drops the half-filled cache.
    """
    while traceback is not None:
        frame = traceback.tb_frame
        if frame.f_code is _ITER_CACHED and isinstance(rule := frame.f_locals.get("self"), rrulebase):
            rule._invalidate_cache()
        traceback = traceback.tb_next


def _occurrences(query: CalendarQuery, start: datetime, end: datetime, budget: _Budget, watch: bool) -> Iterator[Any]:
    """The occurrences ``query.between(start, end)`` would list, one at a time.

    The same steps as recurring-ical-events' ``CalendarQuery.between`` (3.x), whose list
    is built only for the caller's sake: each series' ``between`` is a generator. With
    ``watch``, each step to the next occurrence runs under the budget's hook.
    """
    for series in query.series:
        budget.check()
        occurrences = series.between(start, end)
        for occurrence in budget.watched(occurrences) if watch else occurrences:
            yield occurrence.as_component(query.keep_recurrence_attributes)


def busy_intervals(
    ics_text: str,
    window: Interval,
    tz: ZoneInfo,
    *,
    max_occurrences: int = MAX_OCCURRENCES,
    seconds: float = EXPANSION_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> list[Interval]:
    """Every busy span of the object in ``ics_text`` inside ``window``, merged and sorted.

    Raises CalendarDataError when the object cannot be parsed or expanded, or is beyond the
    limits of the module docstring: more than ``max_occurrences`` occurrences in the window,
    or more than ``seconds`` of ``clock`` for the whole object.

    Watched by the budget's hook, where the library could run long without giving an
    occurrence: everything from reading the object's own zones on, when their rules are not
    plain or could take more than ``UNWATCHED_ZONE_STEPS`` (any lookup of a time may run
    them); else only the steps to the next occurrence, when the events' rules are not plain
    or take more than ``UNWATCHED_STEPS`` up to the window's end (``_plain_steps``). An
    ordinary object is not watched at all: the hook would double the time it takes.
    """
    budget = _Budget(seconds, clock)
    calendar = parse_calendar(ics_text)
    try:
        _check_counts(calendar)  # before expanding anything; a broken RDATE raises here
        _check_rules(calendar)
        budget.check()
        observances = [observance for vtimezone in _own_timezones(calendar) for observance in vtimezone.subcomponents]
        watch_zones = not _plain_enough(observances, date.max, UNWATCHED_ZONE_STEPS)
        with budget if watch_zones else nullcontext():
            _read_own_timezones(calendar)
            written_ends = _written_ends(calendar, tz)
            query = recurring_ical_events.of(calendar)
        watch_steps = watch_zones or not _plain_enough(calendar.walk("VEVENT"), window.end.date(), UNWATCHED_STEPS)
        spans = []
        occurrences = _occurrences(query, window.start.astimezone(tz), window.end.astimezone(tz), budget, watch_steps)
        for found, occurrence in enumerate(occurrences, start=1):
            if found > max_occurrences:
                raise CalendarDataError(f"{TOO_MANY_OCCURRENCES} (mere end {max_occurrences})")
            budget.check()
            if _is_own(occurrence):
                continue
            if watch_zones:  # a lookup of a time may run the zones' rules
                with budget:
                    span = _occurrence_interval(occurrence, tz, written_ends)
            else:
                span = _occurrence_interval(occurrence, tz, written_ends)
            if span:
                spans.append(span)
    except _OutOfTime as exc:
        _unlock_rules(exc.__traceback__)
        raise CalendarDataError(f"{TOO_SLOW} (mere end {seconds:g} sekunder)") from None
    except CalendarDataError:
        raise
    except ZoneInfoNotFoundError as exc:  # X-WR-TIMEZONE names no zone
        raise CalendarDataError(UNKNOWN_ZONE) from exc
    except Exception as exc:  # a bad RRULE, a date where a time was expected ...
        raise CalendarDataError(CANNOT_EXPAND) from exc
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
