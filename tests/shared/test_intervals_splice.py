"""Splicing one calendar object's busy time into an advisor's sorted busy time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.intervals import Interval, merge, splice

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
intervals = st.builds(
    lambda a, length: Interval(T0 + timedelta(minutes=a), T0 + timedelta(minutes=a + length)),
    st.integers(0, 600),
    st.integers(1, 120),
)
objects = st.lists(st.lists(intervals, max_size=5), min_size=1, max_size=8)


@given(objects, st.lists(intervals, max_size=5), st.data())
def test_splice_equals_rebuilding_the_sorted_list(per_object: list, fresh: list, data: st.DataObject) -> None:
    changed = data.draw(st.integers(0, len(per_object) - 1))
    ordered = sorted(i for spans in per_object for i in spans)
    splice(ordered, per_object[changed], fresh)
    per_object[changed] = fresh
    rebuilt = sorted(i for spans in per_object for i in spans)
    assert ordered == rebuilt
    assert merge(ordered) == merge(rebuilt)


def test_splice_refuses_to_remove_what_is_not_there() -> None:
    present = Interval(T0, T0 + timedelta(minutes=30))
    ordered = [present]
    with pytest.raises(ValueError):
        splice(ordered, [Interval(T0, T0 + timedelta(minutes=31))], [])
    assert ordered == [present]
