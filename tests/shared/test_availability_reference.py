"""The fast bookable starts agree with a brute-force reference, to the second, across
daylight-saving changes and in zones with half-hour offsets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from unittest.mock import patch
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from shared import availability
from shared.availability import MeetingShape, bookable_starts, parse_weekly_hours, working_intervals
from shared.intervals import Interval, merge

CPH = ZoneInfo("Europe/Copenhagen")
KOLKATA = ZoneInfo("Asia/Kolkata")
ADELAIDE = ZoneInfo("Australia/Adelaide")
STEP = timedelta(minutes=5)
# Local dates of the 2026 offset changes: Copenhagen 29 March and 25 October; Adelaide
# 5 April (16:30 UTC the day before) and 4 October; Kolkata has none.
CHANGES = {CPH: (date(2026, 3, 29), date(2026, 10, 25)), ADELAIDE: (date(2026, 4, 5), date(2026, 10, 4))}
HOURS_CHOICES = [
    {d: [["08:00", "12:00"], ["12:30", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    {d: [["00:00", "02:30"], ["02:45", "04:00"], ["09:10", "17:25"]] for d in ("sat", "sun", "mon")},
    {d: [["01:30", "03:30"]] for d in ("thu", "fri", "sat", "sun")},
]


def to_utc(interval: Interval) -> Interval:
    return Interval(interval.start.astimezone(UTC), interval.end.astimezone(UTC))


def reference_starts(
    window: Interval,
    working: list[Interval] | None,
    busy: list[Interval],
    booked: list[Interval],
    shape: MeetingShape,
    tz: ZoneInfo,
) -> list[datetime]:
    """Every 5-minute step of UTC time checked one by one, all comparisons in UTC."""
    window = to_utc(window)
    parts = [window] if working is None else [to_utc(w) for w in working]
    allowed = [c for c in (p.clip(window) for p in merge(parts)) if c is not None]
    cuts = [to_utc(c) for c in [*busy, *booked]]
    instant = window.start.replace(second=0, microsecond=0)
    instant -= timedelta(minutes=instant.minute % 5)
    found: list[datetime] = []
    while instant < window.end:
        if instant >= window.start and instant.astimezone(tz).minute in shape.start_minutes:
            occupied = Interval(instant, instant + shape.occupied)
            if any(a.contains(occupied) for a in allowed) and not any(occupied.overlaps(c) for c in cuts):
                found.append(instant.astimezone(tz))
        instant += STEP
    return found


def same(fast: list[datetime], reference: list[datetime]) -> None:
    assert [s.isoformat() for s in fast] == [s.isoformat() for s in reference]
    assert [s.tzinfo for s in fast] == [s.tzinfo for s in reference]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple:
    tz = draw(st.sampled_from([CPH, KOLKATA, ADELAIDE]))
    anchor = draw(st.sampled_from(CHANGES.get(tz, (date(2026, 3, 29), date(2026, 10, 4)))))
    start = datetime(anchor.year, anchor.month, anchor.day, tzinfo=tz).astimezone(UTC) + timedelta(
        seconds=draw(st.integers(-36 * 3600, 12 * 3600)), microseconds=draw(st.sampled_from([0, 0, 1, 999_999]))
    )
    window = Interval(start, start + timedelta(minutes=draw(st.integers(1, 72 * 60))))
    zones = st.sampled_from([UTC, tz, timezone(timedelta(hours=-3, minutes=-30))])

    def spans(most: int) -> list[Interval]:
        found = []
        for _ in range(draw(st.integers(0, most))):
            at = start + timedelta(seconds=draw(st.integers(-3 * 3600, 75 * 3600)))
            length = timedelta(seconds=draw(st.integers(1, 6 * 3600)))
            zone = draw(zones)
            if not at.astimezone(zone) < (at + length).astimezone(zone):
                zone = UTC  # same-zone datetimes compare by wall clock, which folds back in autumn
            found.append(Interval(at.astimezone(zone), (at + length).astimezone(zone)))
        return found

    working = None
    if draw(st.booleans()):
        hours = parse_weekly_hours(draw(st.sampled_from(HOURS_CHOICES)))
        first = window.start.astimezone(tz).date() - timedelta(days=1)
        working = working_intervals(hours, first, window.end.astimezone(tz).date() + timedelta(days=2), tz)
    minutes = draw(st.sets(st.sampled_from(range(0, 60, 5)), min_size=1))
    shape = MeetingShape(
        timedelta(minutes=draw(st.integers(1, 120))), timedelta(minutes=draw(st.integers(0, 30))), frozenset(minutes)
    )
    return window, working, spans(12), spans(4), shape, tz


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_fast_path_matches_brute_force_reference(scenario: tuple) -> None:
    window, working, busy, booked, shape, tz = scenario
    fast = bookable_starts(window=window, working=working, busy=busy, booked=booked, shape=shape, tz=tz)
    same(fast, reference_starts(window, working, busy, booked, shape, tz))
    with patch.object(availability, "_PREMERGE_FROM", 0):  # merge datetimes first where that is exact
        same(bookable_starts(window=window, working=working, busy=busy, booked=booked, shape=shape, tz=tz), fast)


def test_a_window_over_both_copenhagen_changes_of_2026_matches_the_reference() -> None:
    window = Interval(datetime(2026, 3, 27, 13, 7, tzinfo=CPH), datetime(2026, 10, 27, 9, 0, tzinfo=CPH))
    busy = [
        Interval(datetime(2026, 3, 29, 1, 50, tzinfo=CPH), datetime(2026, 3, 29, 3, 10, tzinfo=CPH)),
        Interval(datetime(2026, 10, 25, 2, 20, fold=1, tzinfo=CPH), datetime(2026, 10, 25, 2, 40, fold=1, tzinfo=CPH)),
        Interval(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)),
    ]
    shape = MeetingShape(timedelta(minutes=50), timedelta(minutes=10), frozenset({0, 30}))
    fast = bookable_starts(window=window, working=None, busy=busy, booked=[], shape=shape, tz=CPH)
    reference = reference_starts(window, None, busy, [], shape, CPH)
    same(fast, reference)
    autumn = [s for s in fast if s.date() == date(2026, 10, 25)]
    assert [s.strftime("%H:%M%z") for s in autumn[4:8]] == ["02:00+0200", "03:00+0100", "03:30+0100", "04:00+0100"]


def test_adelaide_starts_on_both_sides_of_a_half_hour_utc_change() -> None:
    day = date(2026, 10, 4)  # clocks go from 02:00 ACST (16:30 UTC) to 03:00 ACDT
    window = Interval(datetime(2026, 10, 3, 22, tzinfo=ADELAIDE), datetime(2026, 10, 4, 6, tzinfo=ADELAIDE))
    shape = MeetingShape(timedelta(minutes=15), timedelta(0), frozenset({0, 30}))
    fast = bookable_starts(window=window, working=None, busy=[], booked=[], shape=shape, tz=ADELAIDE)
    same(fast, reference_starts(window, None, [], [], shape, ADELAIDE))
    on_day = [s.strftime("%H:%M") for s in fast if s.date() == day]
    assert on_day[:6] == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]


def test_busy_time_in_the_repeated_hour_is_not_merged_by_wall_clock() -> None:
    day = date(2026, 10, 25)
    first = Interval(datetime(2026, 10, 25, 2, 0, tzinfo=CPH), datetime(2026, 10, 25, 2, 50, tzinfo=CPH))
    second = Interval(
        datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=CPH), datetime(2026, 10, 25, 2, 20, fold=1, tzinfo=CPH)
    )  # 01:10-01:20 UTC, after ``first`` (00:00-00:50 UTC) although its wall clock lies inside it
    window = Interval(datetime(2026, 10, 25, 1, 0, tzinfo=CPH), datetime(2026, 10, 25, 4, 0, tzinfo=CPH))
    shape = MeetingShape(timedelta(minutes=10), timedelta(0), frozenset(range(0, 60, 5)))
    for threshold in (0, 64):
        with patch.object(availability, "_PREMERGE_FROM", threshold):
            found = bookable_starts(window=window, working=None, busy=[first, second], booked=[], shape=shape, tz=CPH)
        same(found, reference_starts(window, None, [first, second], [], shape, CPH))
        labels = [s.strftime("%H:%M%z") for s in found]
        assert "02:20+0100" in labels and "02:15+0100" not in labels and "02:30+0200" not in labels
        assert all(s.date() == day for s in found)
