"""Bookable starts: what a citizen is offered, to the minute, across DST changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.availability import (
    BookingPeriod,
    MeetingShape,
    bookable_starts,
    parse_weekly_hours,
    working_intervals,
)
from shared.intervals import Interval

CPH = ZoneInfo("Europe/Copenhagen")
HOURS = parse_weekly_hours({d: [["08:00", "12:00"], ["12:30", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")})


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=CPH)


def starts_on(day: date, shape: MeetingShape, busy: list[Interval] = (), booked: list[Interval] = ()) -> list[str]:  # type: ignore[assignment]
    window = Interval(at(day, 0), at(day + timedelta(days=1), 0))
    working = working_intervals(HOURS, day, day + timedelta(days=1), CPH)
    found = bookable_starts(window=window, working=working, busy=busy, booked=booked, shape=shape, tz=CPH)
    return [s.strftime("%H:%M") for s in found]


def test_meeting_plus_reporting_must_fit_before_lunch_and_end_of_day() -> None:
    shape = MeetingShape(timedelta(minutes=45), timedelta(minutes=15), frozenset({0, 30}))
    day = date(2026, 12, 1)  # a Tuesday
    got = starts_on(day, shape)
    assert got[:3] == ["08:00", "08:30", "09:00"]
    assert "11:00" in got and "11:30" not in got  # 11:30 + 60 min passes the 12:00 break
    assert "12:30" in got and got[-1] == "14:30"


def test_allowed_start_minutes_and_busy_time() -> None:
    shape = MeetingShape(timedelta(minutes=30), timedelta(0), frozenset({15, 45}))
    day = date(2026, 12, 1)
    busy = [Interval(at(day, 9, 0), at(day, 10, 0))]
    got = starts_on(day, shape, busy=busy)
    assert got[:2] == ["08:15", "10:15"]  # 08:45 would run into 09:00 busy; 09:xx busy
    assert all(s.endswith(("15", "45")) for s in got)


def test_booking_from_another_offer_removes_overlapping_starts_including_reporting() -> None:
    shape = MeetingShape(timedelta(minutes=30), timedelta(minutes=15), frozenset({0, 15, 30, 45}))
    day = date(2026, 12, 1)
    booked = [Interval(at(day, 10, 0), at(day, 10, 45))]  # 30 min meeting + 15 min reporting
    got = starts_on(day, shape, booked=booked)
    assert "09:15" in got and "09:30" not in got and "10:30" not in got and "10:45" in got


def test_working_hours_keep_local_wall_clock_across_both_dst_changes() -> None:
    shape = MeetingShape(timedelta(minutes=60), timedelta(0), frozenset({0}))
    for day in (date(2026, 3, 30), date(2026, 10, 26)):  # Mondays after the changes
        assert starts_on(day, shape)[0] == "08:00"
    spring = working_intervals(HOURS, date(2026, 3, 27), date(2026, 3, 31), CPH)
    assert next(i.start.astimezone(CPH).utcoffset() for i in spring) == timedelta(hours=1)
    assert spring[-1].start.astimezone(CPH).utcoffset() == timedelta(hours=2)


def test_without_working_hours_the_night_of_the_autumn_change_has_25_hours() -> None:
    shape = MeetingShape(timedelta(minutes=60), timedelta(0), frozenset({0}))
    window = Interval(at(date(2026, 10, 25), 0), at(date(2026, 10, 26), 0))
    found = bookable_starts(window=window, working=None, busy=[], booked=[], shape=shape, tz=CPH)
    assert len(found) == 25  # 02:00 happens twice
    assert len({s.astimezone(ZoneInfo("UTC")) for s in found}) == 25


def test_booking_period_combines_fixed_and_rolling_end_and_notice() -> None:
    period = BookingPeriod(first_meeting_date=date(2026, 12, 1), end_date=date(2027, 1, 31), rolling_weeks=2)
    window = period.window(date(2026, 11, 26), CPH, horizon_days=70)
    assert window is not None
    assert window.start == at(date(2026, 12, 1), 0)
    assert window.end == at(date(2026, 12, 11), 0)  # 26 Nov + 2 weeks = 10 Dec, inclusive
    late = period.window(date(2027, 1, 25), CPH, horizon_days=70)
    assert late is not None and late.end == at(date(2027, 2, 1), 0)  # the fixed end wins
    assert BookingPeriod(date(2026, 12, 1), opens_on=date(2026, 12, 1)).window(date(2026, 11, 26), CPH, 70) is None
    tomorrow = BookingPeriod(date(2026, 11, 1)).window(date(2026, 11, 26), CPH, 70)
    assert tomorrow is not None and tomorrow.start == at(date(2026, 11, 27), 0)


busy_strategy = st.lists(
    st.tuples(st.integers(0, 14 * 24 * 4), st.integers(1, 16)).map(
        lambda t: Interval(
            at(date(2026, 10, 19), 0) + timedelta(minutes=15 * t[0]),
            at(date(2026, 10, 19), 0) + timedelta(minutes=15 * (t[0] + t[1])),
        )
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(busy_strategy, busy_strategy, st.sampled_from([15, 30, 45, 60]), st.sampled_from([0, 10, 15]), st.randoms())
def test_no_offered_meeting_overlaps_busy_time_or_bookings(busy, booked, dur, rep, rnd) -> None:  # type: ignore[no-untyped-def]
    shape = MeetingShape(timedelta(minutes=dur), timedelta(minutes=rep), frozenset({0, 15, 30, 45}))
    first, last = date(2026, 10, 19), date(2026, 11, 2)  # spans the autumn DST change
    window = Interval(at(first, 0), at(last, 0))
    working = working_intervals(HOURS, first, last, CPH)
    starts = bookable_starts(window=window, working=working, busy=busy, booked=booked, shape=shape, tz=CPH)
    for start in starts:
        occupied = shape.occupation(start)
        assert not any(occupied.overlaps(b) for b in [*busy, *booked])
        assert any(w.contains(occupied) for w in working)
    shuffled = list(busy)
    rnd.shuffle(shuffled)
    assert bookable_starts(window=window, working=working, busy=shuffled, booked=booked, shape=shape, tz=CPH) == starts
    middle = at(date(2026, 10, 26), 0)
    halves = [
        *bookable_starts(
            window=Interval(window.start, middle), working=working, busy=busy, booked=booked, shape=shape, tz=CPH
        ),
        *bookable_starts(
            window=Interval(middle, window.end), working=working, busy=busy, booked=booked, shape=shape, tz=CPH
        ),
    ]
    assert halves == starts
