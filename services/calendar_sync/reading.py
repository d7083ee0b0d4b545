"""Which requests read an advisor's calendar this time: a full load or only the changes.

The sync method is detected per server at a full load and remembered per advisor:
``sync-token`` (RFC 6578 sync-collection, then a multiget of the changed hrefs), else
``ctag`` (CTag unchanged -> nothing to do; otherwise PROPFIND depth 1 for ETags and a
multiget of the objects whose ETag differs), else ``query`` (the time-range REPORT each
time). A full load happens the first time, when the sync window moved (a new day), and
when the server no longer accepts the stored token (403/412/valid-sync-token).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from services.calendar_sync.caldav_client import CalDAVCalendar, CalendarAccount, RemoteObject
from services.calendar_sync.caldav_incremental import (
    SyncTokenInvalid,
    collection_state,
    list_etags,
    multiget,
    sync_changes,
)
from shared.intervals import Interval

log = logging.getLogger(__name__)

SYNC_TOKEN, CTAG, QUERY = "sync-token", "ctag", "query"
METHODS = (SYNC_TOKEN, CTAG, QUERY)


@dataclass(frozen=True)
class SyncState:
    """What the worker remembers of the advisor's last read."""

    method: str | None
    sync_token: str | None
    ctag: str | None
    cached_etags: dict[str, str | None]
    window_matches: bool


@dataclass(frozen=True)
class CalendarRead:
    """``full``: ``objects`` is the whole window; otherwise only what changed, plus ``removed``."""

    full: bool
    objects: list[RemoteObject]
    method: str
    sync_token: str | None
    ctag: str | None
    removed: set[str] = field(default_factory=set)


def _full_load(calendar: CalDAVCalendar, state: SyncState, window: Interval) -> CalendarRead:
    remote = collection_state(calendar)  # before the query: a change in between is read again next time
    objects = calendar.fetch_events(window.start - timedelta(days=1), window.end + timedelta(days=1))
    offered = {SYNC_TOKEN: remote.sync_token is not None, CTAG: remote.ctag is not None, QUERY: True}
    if state.method in METHODS and offered[state.method]:
        method = state.method
    else:
        method = next(m for m in METHODS if offered[m])
    return CalendarRead(True, objects, method, remote.sync_token, remote.ctag)


def _by_sync_token(calendar: CalDAVCalendar, state: SyncState, token: str) -> CalendarRead:
    changes = sync_changes(calendar, token)
    objects = multiget(calendar, sorted(changes.changed))
    fetched = {obj.href for obj in objects}
    gone = {href for href in changes.changed if href not in fetched}  # removed between the two requests
    return CalendarRead(False, objects, SYNC_TOKEN, changes.token, state.ctag, removed=changes.removed | gone)


def _by_ctag(calendar: CalDAVCalendar, state: SyncState) -> CalendarRead:
    remote = collection_state(calendar)
    if remote.ctag is not None and remote.ctag == state.ctag:
        return CalendarRead(False, [], CTAG, state.sync_token, state.ctag)
    etags = list_etags(calendar)
    changed = [h for h, etag in etags.items() if etag is None or state.cached_etags.get(h) != etag]
    objects = multiget(calendar, changed)
    removed = set(state.cached_etags) - set(etags)
    return CalendarRead(False, objects, CTAG, state.sync_token, remote.ctag, removed=removed)


def read_calendar(account: CalendarAccount, state: SyncState, window: Interval, timeout: float) -> CalendarRead:
    """Read the calendar the cheapest way the server and the remembered state allow."""
    with CalDAVCalendar(account, timeout) as calendar:
        if state.window_matches:
            if state.method == SYNC_TOKEN and state.sync_token:
                try:
                    return _by_sync_token(calendar, state, state.sync_token)
                except SyncTokenInvalid as exc:
                    log.info("sync token of %s no longer valid (%s); reading everything", account.url, exc)
            elif state.method == CTAG and state.ctag:
                return _by_ctag(calendar, state)
        return _full_load(calendar, state, window)
