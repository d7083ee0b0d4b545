"""Prepared free times: each offer's free starts kept ready to serve (issue 12).

Listing an offer's times used to rebuild them on every request: read every candidate,
check it against the advisors' bookings and holds, and serialise hundreds of items. The
answer only changes when a transaction changes what is free, and those bump a version
(``free_time_versions``): the offer's for its read model and bookable times, each
advisor's for their bookings and holds in any offer. So each API process keeps, per offer,
the free ``(start, advisor)`` pairs of the whole booking window with their JSON already
written, and the versions they were read under. A request reads the current versions of
the offer and its advisors (one primary-key statement); when they match, the prepared
pairs are served, narrowed by what the request asks (``from``/``to``, an advisor, the
advisors a citizen may book, their personal deadline) and by the time of the request.

Every replica sees a change at once: the versions are read from the database by every
request, never trusted for a while. Time alone changes an answer in three ways, and each
is exact without a version: a start that has begun or whose calendar data has grown old
(``valid_until``) is left out when serving; a hold that was counted stops blocking at its
``held_until``, and a new day moves the booking window, so a prepared answer is rebuilt
from then on (``fresh_until``).

The week pages and both time listings of the API serve from here. The citizen's own hold
(``ignore_hold``) and every booking check still ask the database directly (``queries``).
"""

from __future__ import annotations

import itertools
import threading
import uuid
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from services.booking import free_time_versions
from services.booking.free_time_versions import Versions
from services.booking.models import OfferView
from services.booking.queries import (
    OFFER_NOT_FOUND,
    booking_window,
    free_rows,
    is_bookable,
    offer_zone,
    search_within,
)
from shared.config import Settings
from shared.db import Database
from shared.errors import NotFound
from shared.intervals import Interval
from shared.shared_reads import SharedReads
from shared.timeutil import local_midnight, today_in

KEPT_ANSWERS = 64
"""Filtered answers one prepared offer keeps (emptied when full)."""
_UNFILTERED = (None, None, None, None)

CAPACITY = 512
"""Offers whose times one process keeps prepared (the least recently asked for go first)."""


@dataclass(frozen=True, eq=False)
class PreparedTimes:
    """One offer's free times as read under ``versions`` at ``built_at``; good until
    ``fresh_until`` (see the module's docstring). Read-only, shared between threads."""

    offer: OfferView
    """A detached copy of the offer's read model (never flushed)."""
    versions: Versions
    read_from: int
    """The cache's read count when the first of ``versions`` was read (see ``PreparedTimesCache.get``)."""
    built_at: datetime
    fresh_until: datetime
    window: Interval | None
    starts: list[datetime]
    """Sorted; ``advisors``, ``valid_until`` and ``items`` run alongside."""
    advisors: list[uuid.UUID]
    valid_until: list[datetime | None]
    items: list[str]
    """Each pair's JSON as ``TimesOut`` lists it (without the advisor when the citizen may not
    choose one: then equal starts share one item, listed once)."""
    stable_until: datetime | None
    """Until this instant (inclusive) no prepared pair has begun or grown old: ``whole`` is the answer."""
    whole: bytes = field(repr=False)
    """The JSON body of the unfiltered answer, encoded."""
    answers: dict[tuple[object, ...], bytes] = field(default_factory=dict, repr=False)
    """Filtered answers given while ``stable_until`` holds, by their filters (see ``body``)."""

    def serves(self, versions: Versions, now: datetime) -> bool:
        return self.versions == versions and self.built_at <= now < self.fresh_until

    def _indexes(
        self,
        now: datetime,
        start_from: datetime | None,
        until: datetime | None,
        advisor_id: uuid.UUID | None,
        advisors_allowed: Collection[uuid.UUID] | None,
    ) -> list[int]:
        """The pairs ``queries.free_starts`` would give at ``now`` with these filters."""
        search = search_within(self.window, self.offer, now, start_from, until, advisor_id, advisors_allowed)
        if search is None:
            return []
        advisors = set(search.advisors)
        first, last = bisect_left(self.starts, search.low), bisect_left(self.starts, search.high)
        return [
            i
            for i in range(first, last)
            if self.advisors[i] in advisors and (self.valid_until[i] is None or self.valid_until[i] >= now)  # type: ignore[operator]
        ]

    def pairs(
        self,
        now: datetime,
        *,
        start_from: datetime | None = None,
        until: datetime | None = None,
        advisor_id: uuid.UUID | None = None,
        advisors_allowed: Collection[uuid.UUID] | None = None,
    ) -> list[tuple[datetime, uuid.UUID]]:
        """``queries.free_starts`` at ``now`` with these filters (``now`` not before ``built_at``)."""
        indexes = self._indexes(now, start_from, until, advisor_id, advisors_allowed)
        return [(self.starts[i], self.advisors[i]) for i in indexes]

    def body(
        self,
        now: datetime,
        *,
        start_from: datetime | None = None,
        until: datetime | None = None,
        advisor_id: uuid.UUID | None = None,
        advisors_allowed: Collection[uuid.UUID] | None = None,
    ) -> bytes:
        """The JSON of ``TimesOut`` for ``pairs`` with these filters, encoded: each pair with its
        advisor when the citizen may choose one, else each start once.

        Filters that narrow nothing are dropped (a citizen allowed every advisor, an end after
        the window); while no prepared pair has begun or grown old, each answer is kept for
        the next request with the same filters (most citizens of an offer ask the same)."""
        window, advisors = self.window, self.offer.advisor_uuids()
        if advisors_allowed is not None and set(advisors).issubset(advisors_allowed):
            advisors_allowed = None
        if until is not None and window is not None and until >= window.end:
            until = None
        if start_from is not None and start_from <= max(now, window.start if window else now):
            start_from = None
        stable = self.stable_until is None or now <= self.stable_until
        key = (start_from, until, advisor_id, frozenset(advisors_allowed) if advisors_allowed is not None else None)
        if stable and key == _UNFILTERED:
            return self.whole
        kept = self.answers.get(key) if stable else None
        if kept is None:
            indexes = self._indexes(now, start_from, until, advisor_id, advisors_allowed)
            kept = _body(self.offer, _distinct(self.items, indexes)).encode()
            if stable:
                if len(self.answers) >= KEPT_ANSWERS:
                    self.answers.clear()
                self.answers[key] = kept
        return kept


def _distinct(items: list[str], indexes: list[int]) -> list[str]:
    """The items at ``indexes`` in order, each run of one shared item once."""
    chosen: list[str] = []
    for i in indexes:
        item = items[i]
        if not chosen or chosen[-1] is not item:
            chosen.append(item)
    return chosen


def _body(offer: OfferView, items: list[str]) -> str:
    choose = "true" if offer.citizen_may_choose_advisor else "false"
    return (
        f'{{"citizen_may_choose_advisor":{choose},"offer_id":"{offer.id}",'
        f'"times":[{",".join(items)}],"timezone":"{offer.timezone}"}}\n'
    )


def build(
    session: Session, settings: Settings, offer: OfferView, versions: Versions, now: datetime, read_from: int = 0
) -> PreparedTimes:
    """Read the offer's free times of its whole booking window at ``now``, under ``versions``
    (read before anything they guard)."""
    tz = offer_zone(offer)
    fresh_until = local_midnight(today_in(tz, now) + timedelta(days=1), tz)
    window = booking_window(offer, settings, now)
    search = search_within(window, offer, now, None, None, None, None)
    found = free_rows(session, offer, search, now) if search else None
    rows = found.rows if found else []
    if found and found.holds_end is not None:
        fresh_until = min(fresh_until, found.holds_end)
    duration = timedelta(minutes=offer.duration_minutes)
    items: list[str] = []
    for i, (start, advisor, _) in enumerate(rows):
        if not offer.citizen_may_choose_advisor and i and start == rows[i - 1][0]:
            items.append(items[-1])  # the same start with another advisor: one item, listed once
            continue
        begins, ends = start.astimezone(tz).isoformat(), (start + duration).astimezone(tz).isoformat()
        adviser = f'"advisor_id":"{advisor}",' if offer.citizen_may_choose_advisor else ""
        items.append(f'{{{adviser}"end":"{ends}","start":"{begins}"}}')
    bounds = [rows[0][0]] if rows else []
    bounds += [until for _, _, until in rows if until is not None]
    return PreparedTimes(
        offer=offer,
        versions=versions,
        read_from=read_from,
        built_at=now,
        fresh_until=fresh_until,
        window=window,
        starts=[start for start, _, _ in rows],
        advisors=[advisor for _, advisor, _ in rows],
        valid_until=[until for _, _, until in rows],
        items=items,
        stable_until=min(bounds) if bounds else None,
        whole=_body(offer, _distinct(items, list(range(len(items))))).encode(),
    )


def _detached(offer: OfferView) -> OfferView:
    """A copy of ``offer`` that belongs to no session (safe to share between threads)."""
    columns = OfferView.__table__.columns.keys()
    return OfferView(**{name: getattr(offer, name) for name in columns})


class PreparedTimesCache:
    """The prepared times of the offers one process serves (at most ``capacity``)."""

    def __init__(self, settings: Settings, capacity: int = CAPACITY) -> None:
        self.settings = settings
        self.capacity = capacity
        self._entries: OrderedDict[uuid.UUID, PreparedTimes] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[uuid.UUID, threading.Lock] = {}
        self._reads = itertools.count(1)
        self._version_reads = SharedReads[tuple[PreparedTimes | None, Versions]]()
        self.builds = 0

    def current(self, db: Database, offer_id: uuid.UUID, now: datetime) -> PreparedTimes:
        """``get`` in a transaction of its own, for a caller that needs nothing else from the
        database. The common case, prepared times still current, costs one statement
        outside any transaction (no BEGIN, no COMMIT: one read needs no transaction), which
        the threads asking about the offer at once share (``SharedReads``: a read that began
        after each of them asked)."""
        if offer_id in self._entries:
            kept, versions = self._version_reads.get(offer_id, lambda: self._kept_read(db, offer_id))
            entry = self._serving(offer_id, kept, versions, now)
            if entry is not None:
                return entry
        with db.transaction() as session:
            return self.get(session, offer_id, now)

    def get(self, session: Session, offer_id: uuid.UUID, now: datetime) -> PreparedTimes:
        """The offer's prepared times, current in ``session``'s database at ``now``;
        NotFound (``queries.OFFER_NOT_FOUND``) when it cannot be booked now.

        Whatever committed before this call began is in the answer: a prepared answer is
        served when the versions just read are its own, or, while waiting for another
        thread's build, when that build's reads began after this call began."""
        read_from = next(self._reads)
        kept, versions = self._kept(session, offer_id)
        entry = self._serving(offer_id, kept, versions, now)
        if entry is not None:
            return entry
        with self._build_lock(offer_id):
            entry = self._entries.get(offer_id)
            if entry is not None and entry.read_from > read_from and entry.built_at <= now < entry.fresh_until:
                return entry
            entry = self._build(session, offer_id, {offer_id: versions[offer_id]}, now, read_from)
            with self._lock:
                self._entries[offer_id] = entry
                self._entries.move_to_end(offer_id)
                while len(self._entries) > self.capacity:
                    self._entries.popitem(last=False)
                self.builds += 1
            return entry

    def _build(
        self, session: Session, offer_id: uuid.UUID, versions: Versions, now: datetime, read_from: int
    ) -> PreparedTimes:
        """Build under the offer's version read before its row; then read its advisors'
        versions before their bookings (each version before what it guards)."""
        offer = session.scalars(
            select(OfferView).where(OfferView.id == offer_id).execution_options(populate_existing=True)
        ).one_or_none()
        if offer is None or not is_bookable(offer, now):
            raise NotFound(OFFER_NOT_FOUND)
        advisors = free_time_versions.read(session, offer.advisor_uuids())
        return build(session, self.settings, _detached(offer), versions | advisors, now, read_from)

    def _kept(self, executor: Session | Connection, offer_id: uuid.UUID) -> tuple[PreparedTimes | None, Versions]:
        """The offer's kept prepared times (None when none is kept) and the versions read
        after them: those of the prepared offer and its advisors, or only the offer's."""
        entry = self._entries.get(offer_id)
        return entry, free_time_versions.read(executor, list(entry.versions) if entry is not None else [offer_id])

    def _kept_read(self, db: Database, offer_id: uuid.UUID) -> tuple[PreparedTimes | None, Versions]:
        with db.single_read() as connection:
            return self._kept(connection, offer_id)

    def _serving(
        self, offer_id: uuid.UUID, entry: PreparedTimes | None, versions: Versions, now: datetime
    ) -> PreparedTimes | None:
        """``entry`` if the versions read after it are still its own at ``now``, else None."""
        if entry is None or not entry.serves(versions, now):
            return None
        with self._lock:
            if offer_id in self._entries:
                self._entries.move_to_end(offer_id)
        return entry

    def _build_lock(self, offer_id: uuid.UUID) -> threading.Lock:
        with self._lock:
            return self._building.setdefault(offer_id, threading.Lock())
