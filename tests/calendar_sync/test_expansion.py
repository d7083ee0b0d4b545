"""Busy time read from calendar objects, the way advisors' real calendars look."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.calendar_sync.expansion import CalendarDataError, busy_intervals
from shared.intervals import Interval
from shared.timeutil import local_midnight
from tests.calendar_sync.factories import CPH, at, event_ics, vcalendar, vevent


def window(first: date, last_exclusive: date) -> Interval:
    return Interval(local_midnight(first, CPH), local_midnight(last_exclusive, CPH))


def local(intervals: list[Interval]) -> list[tuple[str, str]]:
    return [(i.start.astimezone(CPH).isoformat(), i.end.astimezone(CPH).isoformat()) for i in intervals]


def test_weekly_team_meeting_with_a_moved_occurrence_and_an_exdate() -> None:
    first = date(2026, 12, 1)  # a Tuesday
    master = vevent(
        "team@example.org",
        at(first, 9),
        at(first, 10),
        "RRULE:FREQ=WEEKLY;BYDAY=TU\r\nEXDATE;TZID=Europe/Copenhagen:20261215T090000\r\n",
    )
    moved = vevent(
        "team@example.org",
        at(date(2026, 12, 9), 13),
        at(date(2026, 12, 9), 14),
        "RECURRENCE-ID;TZID=Europe/Copenhagen:20261208T090000\r\n",
    )
    busy = busy_intervals(vcalendar(master, moved), window(date(2026, 11, 30), date(2026, 12, 28)), CPH)
    assert local(busy) == [
        ("2026-12-01T09:00:00+01:00", "2026-12-01T10:00:00+01:00"),
        ("2026-12-09T13:00:00+01:00", "2026-12-09T14:00:00+01:00"),  # moved from Tuesday 8th
        ("2026-12-22T09:00:00+01:00", "2026-12-22T10:00:00+01:00"),  # the 15th is cancelled by EXDATE
    ]


def test_all_day_absence_is_busy_for_whole_local_days() -> None:
    ics = event_ics("absence@example.org", date(2026, 12, 2), date(2026, 12, 4))
    busy = busy_intervals(ics, window(date(2026, 11, 30), date(2026, 12, 7)), CPH)
    assert local(busy) == [("2026-12-02T00:00:00+01:00", "2026-12-04T00:00:00+01:00")]


@pytest.mark.parametrize("extra", ["TRANSP:TRANSPARENT\r\n", "STATUS:CANCELLED\r\n"])
def test_transparent_and_cancelled_events_are_free(extra: str) -> None:
    ics = event_ics("free@example.org", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 10), extra)
    assert busy_intervals(ics, window(date(2026, 11, 30), date(2026, 12, 7)), CPH) == []


def test_tentative_events_are_busy() -> None:
    ics = event_ics("maybe@example.org", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 10), "STATUS:TENTATIVE\r\n")
    busy = busy_intervals(ics, window(date(2026, 11, 30), date(2026, 12, 7)), CPH)
    assert local(busy) == [("2026-12-01T09:00:00+01:00", "2026-12-01T10:00:00+01:00")]


@pytest.mark.parametrize(
    ("first", "after_change", "offsets"),
    [
        (date(2026, 3, 23), date(2026, 3, 30), ("+01:00", "+02:00")),  # summer time from 29 March 2026
        (date(2026, 10, 19), date(2026, 10, 26), ("+02:00", "+01:00")),  # winter time from 25 October 2026
    ],
)
def test_weekly_meeting_keeps_its_wall_clock_time_across_the_dst_change(
    first: date, after_change: date, offsets: tuple[str, str]
) -> None:
    ics = event_ics("monday@example.org", at(first, 9), at(first, 10), "RRULE:FREQ=WEEKLY;COUNT=2\r\n")
    busy = busy_intervals(ics, window(first, first + timedelta(days=14)), CPH)
    before, after = offsets
    assert local(busy) == [
        (f"{first}T09:00:00{before}", f"{first}T10:00:00{before}"),
        (f"{after_change}T09:00:00{after}", f"{after_change}T10:00:00{after}"),
    ]
    assert busy[1].duration == timedelta(hours=1)


def test_floating_times_are_read_in_the_advisors_zone() -> None:
    ics = vcalendar(
        "BEGIN:VEVENT\r\nUID:f@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20261201T090000\r\nDTEND:20261201T100000\r\nEND:VEVENT\r\n"
    )
    busy = busy_intervals(ics, window(date(2026, 11, 30), date(2026, 12, 7)), CPH)
    assert local(busy) == [("2026-12-01T09:00:00+01:00", "2026-12-01T10:00:00+01:00")]


def test_duration_counts_and_a_moment_without_end_blocks_nothing() -> None:
    with_duration = event_ics("d@example.org", at(date(2026, 12, 1), 9), None, "DURATION:PT1H30M\r\n")
    reminder = event_ics("r@example.org", at(date(2026, 12, 1), 9), None)
    span = window(date(2026, 11, 30), date(2026, 12, 7))
    assert local(busy_intervals(with_duration, span, CPH)) == [
        ("2026-12-01T09:00:00+01:00", "2026-12-01T10:30:00+01:00")
    ]
    assert busy_intervals(reminder, span, CPH) == []


def test_busy_time_is_clipped_to_the_window() -> None:
    ics = event_ics("course@example.org", at(date(2026, 11, 29), 14), at(date(2026, 12, 1), 10))
    busy = busy_intervals(ics, window(date(2026, 11, 30), date(2026, 12, 7)), CPH)
    assert local(busy) == [("2026-11-30T00:00:00+01:00", "2026-12-01T10:00:00+01:00")]


def test_our_own_booked_meetings_are_not_read_back_as_busy_time() -> None:
    ics = event_ics("booking-123@jobcenter-planner", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 10))
    assert busy_intervals(ics, window(date(2026, 11, 30), date(2026, 12, 7)), CPH) == []


@pytest.mark.parametrize(
    "text",
    [
        "this is not a calendar",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026-12-01 09:00\r\nEND:VEVENT\r\n",
        event_ics(
            "bad-rule@example.org", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 10), "RRULE:FREQ=SOMETIMES\r\n"
        ),
        event_ics("bad-exdate@example.org", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 10), "EXDATE:soon\r\n"),
        event_ics(
            "zero@example.org", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 10), "RRULE:FREQ=DAILY;INTERVAL=0\r\n"
        ),
        event_ics(
            "minutely@example.org", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 9, 1), "RRULE:FREQ=MINUTELY\r\n"
        ),
        event_ics(
            "secondly@example.org", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 9, 1), "RRULE:FREQ=SECONDLY\r\n"
        ),
    ],
)
@pytest.mark.timeout(30)
def test_a_broken_object_raises_calendar_data_error(text: str) -> None:
    with pytest.raises(CalendarDataError):
        busy_intervals(text, window(date(2026, 11, 30), date(2026, 12, 7)), CPH)
