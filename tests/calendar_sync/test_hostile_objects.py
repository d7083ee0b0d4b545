"""Calendar objects written to exhaust the worker (issue 10): refused, quickly, by kind.

Anyone can put an object into an advisor's calendar (an invitation), so every object here
is one a stranger could send. Each is refused as unreadable with a fixed Danish sentence
naming the kind of problem, never quoting the object; the other objects still count. No
test times anything: an object meant to blow up is shown to be refused before it is
expanded (with a window of one hour, or by the kind of refusal), and the time budget is
exercised with a clock that moves each time it is read (``Ticking``), not by waiting.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from dateutil.rrule import rrulestr

from services.calendar_sync import expansion, sync
from services.calendar_sync.caldav_client import RemoteObject, normalise_href
from services.calendar_sync.expansion import CalendarDataError, busy_intervals, object_uid
from services.calendar_sync.sync import sync_advisor, sync_window
from services.demo.embedded_radicale import RadicaleServer
from shared.intervals import Interval
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import CPH, at, event_ics, vcalendar, vevent
from tests.calendar_sync.test_sync import NOW, WED, add_advisor, advisor, busy
from tests.calendar_sync.test_unreadable_object import last_health


def untimed() -> float:
    """A clock that stands still: the tests that use it are about counts, not time."""
    return 0.0


WINDOW = sync_window(NOW, "Europe/Copenhagen", 70)
"""The sync window of the default availability horizon: 78 days from Tuesday 1 December 2026."""

ONE_HOUR = Interval(at(WED, 13), at(WED, 14))
GOOD = Interval(at(WED, 10), at(WED, 11))

EVERY_HOUR = ",".join(str(hour) for hour in range(24))
EVERY_MINUTE = ",".join(str(minute) for minute in range(60))
EVERY_SECOND_RULE = f"RRULE:FREQ=DAILY;BYHOUR={EVERY_HOUR};BYMINUTE={EVERY_MINUTE};BYSECOND={EVERY_MINUTE}\r\n"
EVERY_SECOND = event_ics("every-second@example.org", at(WED, 13), at(WED, 14), EVERY_SECOND_RULE)
"""The 650-byte event of the issue: a daily rule whose BY-lists give 86,400 times a day.
It passes the ban on FREQ=SECONDLY and grew past 6 GB in 100 s."""

NEVER = "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\r\n"
"""A rule no day satisfies: dateutil searches day by day up to the year 9999 (3 s of CPU)
without yielding, so no check between occurrences would see it."""

CANNOT_EXPAND = "kalenderobjektet kan ikke udfoldes (ugyldig dato, tid eller gentagelsesregel)"

MARK = "Hemmelig-4711"
"""Text of the object's author: never to appear in a message staff see or the log."""


class Ticking:
    """A clock that moves ``step`` seconds each time it is read: the budget runs out after
    a known number of looks, whatever the machine's speed, without sleeping."""

    def __init__(self, step: float):
        self.step = step
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def refusal(ics_text: str, window: Interval = WINDOW, **limits: object) -> str:
    """The message the object is refused with (staff see it as the object's error)."""
    with pytest.raises(CalendarDataError) as refused:
        busy_intervals(ics_text, window, CPH, **limits)  # type: ignore[arg-type]
    return str(refused.value)


def events(count: int, day: date = WED) -> str:
    """One object with ``count`` one-hour events (distinct UIDs) on ``day``."""
    return vcalendar(*(vevent(f"e{i}@example.org", at(day, 8), at(day, 9)) for i in range(count)))


def dates(name: str, count: int, first: datetime) -> str:
    """``count`` property lines ``name`` (RDATE, EXDATE), one time each, a week apart."""
    return "".join(
        f"{name};TZID=Europe/Copenhagen:{(first + timedelta(weeks=i)).strftime('%Y%m%dT%H%M%S')}\r\n"
        for i in range(count)
    )


def own_zone(rule: str, start: str = "16011028T030000") -> str:
    """A calendar-defined zone (not an IANA name) whose STANDARD time follows ``rule``."""
    return (
        f"BEGIN:VTIMEZONE\r\nTZID:Egen zone\r\nBEGIN:STANDARD\r\nDTSTART:{start}\r\nRRULE:{rule}\r\n"
        "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
        "DTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
        "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    )


def in_own_zone(zone: str, extra: str = "") -> str:
    """A one-hour meeting on WED at 10:00 in the calendar's own ``zone``."""
    event = (
        "BEGIN:VEVENT\r\nUID:own-zone@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID=Egen zone:20261202T100000\r\nDURATION:PT1H\r\n{extra}END:VEVENT\r\n"
    )
    return vcalendar(zone + event)


# --- the rule whose BY-lists multiply -------------------------------------------------------


def test_the_rule_giving_every_second_of_the_day_is_refused_before_it_is_expanded() -> None:
    # One hour of it would be 3,600 occurrences; refused before any is made.
    assert refusal(EVERY_SECOND, ONE_HOUR) == "gentagelsesreglen giver for mange forekomster pr. døgn (mere end 48)"
    assert refusal(EVERY_SECOND) == expansion.TOO_MANY_PER_DAY


TEN_HOURS = "BYHOUR=8,9,10,11,12,13,14,15,16,17"


@pytest.mark.parametrize(
    "rules",
    [
        "RRULE:FREQ=HOURLY;BYMINUTE=0,20,40\r\n",  # 24 hours x 3 minutes
        "RRULE:FREQ=HOURLY;INTERVAL=1;BYMINUTE=0,30;BYSECOND=0,30\r\n",  # 24 x 2 x 2
        f"RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR={EVERY_HOUR};BYMINUTE=0,30,45\r\n",  # 72 each Monday
        f"RRULE:FREQ=DAILY;{TEN_HOURS};BYMINUTE=0,15,30,45;BYSECOND=0,30\r\n",  # 80
        f"RRULE:FREQ=MONTHLY;BYMONTHDAY=1;{TEN_HOURS};BYMINUTE=0,10,20,30,40,50\r\n",  # 60 on the 1st
        f"RRULE:FREQ=DAILY;{TEN_HOURS};BYMINUTE=0,15,30\r\nRRULE:FREQ=DAILY;{TEN_HOURS};BYMINUTE=5,20\r\n",  # 30 + 20
    ],
    ids=["hourly-72", "hourly-96", "weekly-72", "daily-80", "monthly-60", "two-rules-50"],
)
def test_rules_giving_more_than_48_occurrences_a_day_are_refused(rules: str) -> None:
    ics = event_ics("dense@example.org", at(WED, 9), at(WED, 9, 1), rules)
    assert refusal(ics, ONE_HOUR) == expansion.TOO_MANY_PER_DAY


def test_a_meeting_every_half_hour_all_day_is_still_read() -> None:
    ics = event_ics("half-hourly@example.org", at(WED, 9), at(WED, 9, 10), "RRULE:FREQ=HOURLY;BYMINUTE=0,30\r\n")
    assert busy_intervals(ics, ONE_HOUR, CPH, clock=untimed) == [
        Interval(at(WED, 13), at(WED, 13, 10)),
        Interval(at(WED, 13, 30), at(WED, 13, 40)),
    ]


def test_a_zone_whose_rule_gives_every_second_is_refused_before_any_time_is_read() -> None:
    # The same bomb inside the calendar's own VTIMEZONE: the zone would run the rule at
    # the first lookup of a time. (Its DTSTART is the night before, so that even without
    # the check this test ends: 9 hours of seconds, not 425 years.)
    zone = own_zone(EVERY_SECOND_RULE.removeprefix("RRULE:").strip(), start="20261202T000000")
    assert refusal(in_own_zone(zone), ONE_HOUR) == "tidszonens gentagelsesregel er ikke én årlig overgang"
    assert refusal(in_own_zone(own_zone("FREQ=MONTHLY;BYMONTHDAY=1")), ONE_HOUR) == expansion.TIMEZONE_RULE


def test_outlooks_own_zone_is_read() -> None:
    ics = in_own_zone(own_zone("FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"))
    assert busy_intervals(ics, WINDOW, CPH, clock=untimed) == [GOOD]


# --- size and counts ------------------------------------------------------------------------


def test_an_object_of_a_mebibyte_is_read_and_one_character_more_is_refused_before_parsing() -> None:
    event = vevent("big@example.org", at(WED, 10), at(WED, 11), "X-PADDING:@@\r\n")
    padded = vcalendar(event).replace("@@", "x" * (expansion.MAX_OBJECT_CHARS - len(vcalendar(event)) + 3))
    assert len(padded) == expansion.MAX_OBJECT_CHARS + 1
    assert refusal(padded) == "kalenderobjektet er for stort (mere end 1048576 tegn)"
    assert object_uid(padded) is None, "nor parsed to show its UID"
    fits = padded.replace("xx", "x", 1)
    assert busy_intervals(fits, WINDOW, CPH, clock=untimed) == [GOOD]


def test_twenty_thousand_events_in_one_object_are_refused_before_parsing() -> None:
    assert refusal(events(1001)) == "kalenderobjektet indeholder for mange begivenheder (mere end 1000 VEVENT)"
    assert refusal(events(20_000)) == expansion.TOO_BIG  # 2.6 MB; the finding took 4.3 s
    assert busy_intervals(events(1000), WINDOW, CPH, clock=untimed) == [Interval(at(WED, 8), at(WED, 9))]


def test_events_hidden_by_folding_their_begin_line_are_counted_once_parsed() -> None:
    folded = events(1001).replace("BEGIN:VEVENT\r\n", "BEGIN:VEV\r\n ENT\r\n")
    assert "BEGIN:VEVENT" not in folded
    assert refusal(folded) == expansion.TOO_MANY_EVENTS


def test_too_many_zones_in_one_object_are_refused() -> None:
    zones = "".join(own_zone("FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU").replace("Egen zone", f"Zone {i}") for i in range(51))
    assert refusal(vcalendar(zones)) == "kalenderobjektet indeholder for mange tidszoner (mere end 50 VTIMEZONE)"


def test_two_hundred_thousand_rdates_are_refused_unparsed_and_two_thousand_and_one_once_parsed() -> None:
    first = at(WED, 15)
    over = event_ics("rdates@example.org", at(WED, 10), at(WED, 11), dates("RDATE", 2001, first))
    assert refusal(over) == "kalenderobjektet har for mange ekstra datoer (mere end 2000 RDATE-værdier)"
    listed = ",".join((first + timedelta(weeks=i)).strftime("%Y%m%dT%H%M%S") for i in range(2001))
    one_line = event_ics("rdates@example.org", at(WED, 10), at(WED, 11), f"RDATE;TZID=Europe/Copenhagen:{listed}\r\n")
    assert refusal(one_line) == expansion.TOO_MANY_RDATES, "values are counted, not lines"
    many = event_ics("rdates@example.org", at(WED, 10), at(WED, 11), dates("RDATE", 200_000, first))
    assert refusal(many) == expansion.TOO_BIG  # 9 MB; the finding took 7.7 s and 619 MB
    at_limit = event_ics("rdates@example.org", at(WED, 10), at(WED, 11), dates("RDATE", 2000, first))
    assert busy_intervals(at_limit, Interval(at(WED, 0), at(WED, 23)), CPH, clock=untimed) == [
        GOOD,
        Interval(first, at(WED, 16)),
    ]


def test_more_than_two_thousand_exdates_are_refused_and_two_thousand_are_read() -> None:
    weekly = "RRULE:FREQ=WEEKLY\r\n"
    start = at(WED - timedelta(weeks=2000), 10)
    at_limit = event_ics(
        "exdates@example.org", start, start + timedelta(hours=1), weekly + dates("EXDATE", 2000, start)
    )
    assert busy_intervals(at_limit, Interval(at(WED, 0), at(WED, 23)), CPH, clock=untimed) == [GOOD]
    over = at_limit.replace("RRULE:", dates("EXDATE", 1, at(WED, 10)) + "RRULE:")
    assert refusal(over) == "kalenderobjektet har for mange undtagne datoer (mere end 2000 EXDATE-værdier)"


# --- the occurrences of the window: a hard count and a time budget --------------------------


def test_more_occurrences_in_the_window_than_the_limit_are_refused() -> None:
    daily = event_ics("daily@example.org", at(WED, 9), at(WED, 9, 30), "RRULE:FREQ=DAILY\r\n")
    assert len(busy_intervals(daily, WINDOW, CPH, max_occurrences=77, clock=untimed)) == 77  # WED up to the end
    message = refusal(daily, max_occurrences=76)
    assert message == "kalenderobjektet giver for mange forekomster i synkroniseringsvinduet (mere end 76)"


def test_the_default_limit_of_occurrences_refuses_three_events_every_half_hour() -> None:
    # 3 x 48 a day over 78 days: 11,232 occurrences in the window, each one allowed by itself.
    dense = "RRULE:FREQ=HOURLY;BYMINUTE=0,30\r\n"
    ics = vcalendar(*(vevent(f"d{i}@example.org", at(WED, 0), at(WED, 0, 10), dense) for i in range(3)))
    assert refusal(ics, seconds=600) == f"{expansion.TOO_MANY_OCCURRENCES} (mere end 10000)"


def test_a_rule_no_day_satisfies_is_stopped_by_the_time_budget() -> None:
    # dateutil would search for 3 s without yielding once; the budget's hook stops it.
    ics = event_ics("never@example.org", at(WED, 9), at(WED, 10), NEVER)
    profile = sys.getprofile()
    assert (
        refusal(ics, clock=Ticking(1.0), seconds=2.5)
        == "kalenderobjektet tager for lang tid at udfolde (mere end 2.5 sekunder)"
    )
    assert sys.getprofile() is profile, "the hook is gone again"


def test_an_object_taking_too_long_is_stopped_between_its_occurrences() -> None:
    ics = events(300)
    assert busy_intervals(ics, WINDOW, CPH, clock=untimed) == [Interval(at(WED, 8), at(WED, 9))]
    assert refusal(ics, clock=Ticking(0.01), seconds=1.0) == f"{expansion.TOO_SLOW} (mere end 1 sekunder)"


def test_a_zone_whose_rule_no_year_satisfies_is_stopped_by_the_time_budget() -> None:
    ics = in_own_zone(own_zone("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"))
    assert refusal(ics, clock=Ticking(1.0), seconds=2.5) == f"{expansion.TOO_SLOW} (mere end 2.5 sekunder)"


def test_a_rule_stopped_in_the_middle_of_its_search_does_not_block_its_next_reader() -> None:
    # dateutil holds a rule's lock while it searches and has no finally; a rule stopped by
    # the budget is unlocked again (a zone's rules could outlive the object in the worker).
    rule = rrulestr(NEVER.removeprefix("RRULE:").strip(), dtstart=at(WED, 9), cache=True)
    with pytest.raises(expansion._OutOfTime) as stopped, expansion._Budget(2.5, Ticking(1.0)):
        rule.before(at(date(2027, 1, 1), 0))
    assert rule._cache_lock.locked(), "stopped while searching"
    expansion._unlock_rules(stopped.value.__traceback__)
    assert rule._cache_lock.acquire(blocking=False), "the next reader gets the rule"


# --- the messages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ics", "kind"),
    [
        (f"{MARK} is not a calendar", "ugyldigt iCalendar-objekt"),
        (event_ics("a@example.org", at(WED, 9), at(WED, 10), f"RRULE:FREQ={MARK}\r\n"), CANNOT_EXPAND),
        (event_ics("a@example.org", at(WED, 9), at(WED, 10), f"RDATE:{MARK}\r\n"), CANNOT_EXPAND),
        (event_ics("a@example.org", at(WED, 9), at(WED, 10), f"EXDATE:{MARK}\r\n"), CANNOT_EXPAND),
        (
            event_ics("a@example.org", at(WED, 9), None, f"DURATION:{MARK}\r\n"),
            CANNOT_EXPAND,
        ),
        (
            event_ics("a@example.org", at(WED, 9), at(WED, 10)).replace(
                "VERSION:2.0", f"VERSION:2.0\r\nX-WR-TIMEZONE:{MARK}"
            ),
            "kalenderobjektet bruger en ukendt tidszone",
        ),
        (
            event_ics("a@example.org", at(WED, 9), at(WED, 10), "RRULE:FREQ=DAILY;INTERVAL=0\r\n"),
            "RRULE med ugyldigt INTERVAL (skal være et positivt heltal)",
        ),
    ],
    ids=["not-icalendar", "rrule", "rdate", "exdate", "duration", "x-wr-timezone", "interval"],
)
def test_a_refusal_names_the_kind_of_problem_and_never_quotes_the_object(ics: str, kind: str) -> None:
    message = refusal(ics)
    assert message == kind
    assert MARK not in message


# --- at sync level: what staff see, and the other objects -----------------------------------


def test_the_soft_time_limit_of_the_task_is_not_taken_for_a_broken_object(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(expansion.recurring_ical_events, "of", interrupted)
    remote = RemoteObject(href="/anne/cal/x.ics", etag='"1"', ics_text=event_ics("x@example.org", GOOD.start, GOOD.end))
    with pytest.raises(SoftTimeLimitExceeded):
        sync._expand(remote, WINDOW, "Europe/Copenhagen")


BOUNDED_EVERY_SECOND = EVERY_SECOND.replace(EVERY_SECOND_RULE, EVERY_SECOND_RULE.replace("\r\n", ";COUNT=60\r\n"))
"""The event of the issue stopped after a minute: without the check it is read (and this
test fails) instead of taking the machine's memory."""


@pytest.mark.timeout(60)
def test_the_650_byte_event_is_reported_by_kind_and_the_other_events_still_count(
    context: ServiceContext,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("good@example.org", GOOD.start, GOOD.end))
    href = normalise_href(url, radicale.put_event("anne", USERS["anne"], url, BOUNDED_EVERY_SECOND))
    advisor_id = add_advisor(context, url)

    with caplog.at_level(logging.WARNING, logger="services.calendar_sync.sync"):
        outcome = sync_advisor(context, advisor_id, NOW)

    state = advisor(context, advisor_id)
    assert outcome.ok and busy(context, advisor_id) == [GOOD], "the worker went on; the good event counts"
    assert state.last_success_at == NOW
    assert state.last_error is not None and f"{href}: {expansion.TOO_MANY_PER_DAY}" in state.last_error
    assert "BYSECOND" not in state.last_error
    assert last_health(context, advisor_id)["last_error"] == state.last_error
    logged = [record.getMessage() for record in caplog.records if record.name == "services.calendar_sync.sync"]
    assert logged == [f"calendar object {href} cannot be read: {expansion.TOO_MANY_PER_DAY}"]
