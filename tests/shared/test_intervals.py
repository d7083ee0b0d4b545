"""The interval algebra behind every free time: checked by examples and properties."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.intervals import Interval, clip_all, intersect, merge, subtract

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def iv(a: int, b: int) -> Interval:
    return Interval(T0 + timedelta(minutes=a), T0 + timedelta(minutes=b))


intervals = st.builds(lambda a, length: iv(a, a + length), st.integers(0, 600), st.integers(1, 120))


def covered(parts: list[Interval], minute: int) -> bool:
    instant = T0 + timedelta(minutes=minute, seconds=30)
    return any(p.contains_instant(instant) for p in parts)


def test_interval_is_half_open_and_rejects_empty_or_naive() -> None:
    assert not iv(0, 10).overlaps(iv(10, 20))
    assert iv(0, 10).overlaps(iv(9, 20))
    with pytest.raises(ValueError):
        iv(10, 10)
    with pytest.raises(ValueError):
        Interval(datetime(2026, 1, 1), datetime(2026, 1, 2))  # noqa: DTZ001 - the point of the test


def test_merge_joins_touching_and_overlapping() -> None:
    assert merge([iv(30, 40), iv(0, 10), iv(10, 20), iv(35, 50)]) == [iv(0, 20), iv(30, 50)]


def test_subtract_cuts_holes() -> None:
    assert subtract([iv(0, 100)], [iv(10, 20), iv(50, 60), iv(90, 120)]) == [iv(0, 10), iv(20, 50), iv(60, 90)]


@given(st.lists(intervals, max_size=12), st.lists(intervals, max_size=12), st.integers(0, 800))
def test_subtract_and_intersect_agree_with_pointwise_definition(base: list, cuts: list, minute: int) -> None:
    in_base, in_cuts = covered(base, minute), covered(cuts, minute)
    assert covered(subtract(base, cuts), minute) == (in_base and not in_cuts)
    assert covered(intersect(base, cuts), minute) == (in_base and in_cuts)


@given(st.lists(intervals, max_size=15), st.randoms())
def test_merge_is_sorted_disjoint_and_order_independent(parts: list, rnd) -> None:  # type: ignore[no-untyped-def]
    merged = merge(parts)
    shuffled = list(parts)
    rnd.shuffle(shuffled)
    assert merge(shuffled) == merged
    for left, right in itertools.pairwise(merged):
        assert left.end < right.start


@given(st.lists(intervals, max_size=10))
def test_clip_all_stays_inside_window(parts: list) -> None:
    window = iv(100, 400)
    for piece in clip_all(parts, window):
        assert window.contains(piece)


def test_the_repeated_autumn_hour_is_measured_in_real_time() -> None:
    from zoneinfo import ZoneInfo

    cph = ZoneInfo("Europe/Copenhagen")
    summer = datetime(2026, 10, 25, 2, 30, tzinfo=cph)  # 02:30 CEST
    winter = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=cph)  # 02:30 CET, an hour later
    night = Interval(summer, winter)
    assert night.duration == timedelta(hours=1)
    assert night.overlaps(Interval(datetime(2026, 10, 25, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 15, tzinfo=UTC)))
