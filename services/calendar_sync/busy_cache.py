"""A worker process's in-memory copy of each advisor's busy time, kept up to date by
splicing single changes into it.

The truth is the ``calendar_object`` rows; ``AdvisorCalendar.busy_version`` is raised in
the same transaction as every change to them. A copy is used only while its version is
the advisor's current one. The process that stored a change also knows what the change
took out and put in, and splices exactly that into its copy (``shared.intervals.splice``,
no re-sorting of thousands of intervals); any other process sees a version it does not
have and reads the rows again. So several worker processes and replicas never compute
from outdated busy time, and the common case (one event changed, the same process
computes the offers next) costs a fraction of a millisecond.

The copy keeps every object's intervals sorted but not merged, so one object's intervals
can be taken out again, and merges them once per version for computing (a merged list is
a fraction of the size, which is what makes 50 advisors' starts fast). It holds at most
``capacity`` advisors, the least recently used going first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.calendar_sync.models import AdvisorCalendar, CalendarObject, intervals_from_json
from shared.intervals import Interval, merge, splice

DEFAULT_CAPACITY = 500
"""Advisors kept (``PLANNER_BUSY_CACHE_ADVISORS``); measured: a calendar with 200 events in
8 weeks takes about 0.2 MB, a very busy one with 2,000 about 1.5 MB."""


@dataclass(frozen=True)
class BusyChange:
    """What one stored sync did to an advisor's busy time: version ``before`` became
    ``after`` by taking out ``removed`` and putting in ``added``."""

    database: str
    advisor_id: str
    before: int
    after: int
    removed: tuple[Interval, ...]
    added: tuple[Interval, ...]


@dataclass
class _Copy:
    version: int
    ordered: list[Interval]
    """Every object's intervals, sorted, overlaps kept (so one object's can be taken out)."""
    merged: list[Interval] | None = None
    """``ordered`` merged, made on first use of this version (what computing reads)."""


class BusyCache:
    """Busy time per advisor, valid for one ``busy_version`` (thread-safe)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._copies: OrderedDict[tuple[str, str], _Copy] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0
        """How often the rows were read (for tests and the benchmark)."""

    def busy(self, session: Session, advisor: AdvisorCalendar) -> list[Interval]:
        """The advisor's busy time at ``advisor.busy_version``, sorted and merged.
        The list is shared: callers must not change it."""
        key = (database_of(session), advisor.advisor_id)
        with self._lock:
            copy = self._copies.get(key)
            if copy is not None and copy.version == advisor.busy_version:
                self._copies.move_to_end(key)
                if copy.merged is None:
                    copy.merged = merge(copy.ordered)
                return copy.merged
        copy = _Copy(advisor.busy_version, load_busy(session, advisor.advisor_id))
        copy.merged = merge(copy.ordered)
        with self._lock:
            self.loads += 1
            self._keep(key, copy)
        return copy.merged

    def apply(self, change: BusyChange) -> None:
        """Splice a committed change into the copy that is exactly one change behind it;
        any other copy is dropped (it is read again when next needed)."""
        key = (change.database, change.advisor_id)
        with self._lock:
            copy = self._copies.get(key)
            if copy is None:
                return
            if copy.version != change.before:
                del self._copies[key]
                return
            ordered = list(copy.ordered)  # a reader may still hold the old list
            try:
                splice(ordered, change.removed, change.added)
            except ValueError:  # the copy was not what the rows said: read them again
                del self._copies[key]
                return
            self._keep(key, _Copy(change.after, ordered))

    def _keep(self, key: tuple[str, str], copy: _Copy) -> None:
        self._copies[key] = copy
        self._copies.move_to_end(key)
        while len(self._copies) > self.capacity:
            self._copies.popitem(last=False)


def database_of(session: Session) -> str:
    """Which database a session works on (copies of two databases never mix, e.g. in tests)."""
    return str(session.get_bind().url)


def load_busy(session: Session, advisor_id: str) -> list[Interval]:
    """Every cached interval of the advisor's calendar objects, sorted."""
    rows = session.scalars(select(CalendarObject.busy).where(CalendarObject.advisor_id == advisor_id))
    return sorted(interval for busy in rows for interval in intervals_from_json(busy))


BUSY_CACHE = BusyCache()
"""The process's cache (each Celery child process has its own)."""
