"""Which requests read an advisor's calendar this time: a full load or only the changes.

The sync method is detected per server at a full load and remembered per advisor:
``sync-token`` (RFC 6578 sync-collection, then a multiget of the changed hrefs), else
``ctag`` (CTag unchanged -> nothing to do; otherwise PROPFIND depth 1 for ETags and a
multiget of the objects whose ETag differs), else ``query`` (the time-range REPORT each
time). A full load happens the first time, when the sync window moved (a new day), and
when the server no longer accepts the stored token (403/412/valid-sync-token).

Servers that do not offer the calendar-query REPORT (older Exchange gateways such as
DavMail, minimal WebDAV servers: 400/405/415/501, or 403 with a ``supported-report`` /
``supported-filter`` precondition; see ``caldav_client.refused_as_unsupported``) are read
by listing: PROPFIND depth 1 for every href and ETag, then calendar-multiget of them,
and, where calendar-multiget is refused as well, one GET per object. The listing reads
every object of the calendar, also those outside the window (expansion clips them). The
advisor then remembers ``etag`` (PROPFIND + multiget) or ``etag-get`` (PROPFIND + GET), so
the next read goes straight to it: an unchanged CTag (where offered) means nothing to do,
otherwise only the objects whose ETag changed are fetched, and a full load (a new day)
lists and fetches everything without trying the query first. A 401, a bare 403 or a 5xx
is never taken for "unsupported": those stay login/rights problems or retryable outages.

Order of preference, chosen at a full load: ``sync-token``, ``ctag``, ``query`` (the
server answered the query) > ``etag`` > ``etag-get``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from services.calendar_sync.caldav_client import CalDAVCalendar, CalendarAccount, RemoteObject, RequestUnsupported
from services.calendar_sync.caldav_http import RequestLimits
from services.calendar_sync.caldav_incremental import (
    SyncTokenInvalid,
    collection_state,
    get_object,
    list_etags,
    multiget,
    sync_changes,
)
from shared.intervals import Interval

log = logging.getLogger(__name__)

SYNC_TOKEN, CTAG, QUERY = "sync-token", "ctag", "query"
METHODS = (SYNC_TOKEN, CTAG, QUERY)
"""Chosen at a full load when the server answered the calendar-query REPORT."""
ETAG, ETAG_GET = "etag", "etag-get"
LISTING_METHODS = (ETAG, ETAG_GET)
"""The server refused calendar-query (``etag-get``: calendar-multiget too): read by listing."""

MULTIGET_BATCH = 500
"""Hrefs per calendar-multiget: a listing of a large calendar is fetched in several requests."""
MANY_OBJECTS = 2000
"""A calendar read object by object (GET) with more objects than this is logged as costly."""


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
    """``full``: ``objects`` is the whole window (read by listing: the whole calendar); otherwise
    only what changed, plus ``removed``."""

    full: bool
    objects: list[RemoteObject]
    method: str
    sync_token: str | None
    ctag: str | None
    removed: set[str] = field(default_factory=set)


def _fetch(calendar: CalDAVCalendar, hrefs: list[str], *, by_get: bool) -> tuple[list[RemoteObject], bool]:
    """The objects at ``hrefs`` (gone ones left out) by calendar-multiget, or one GET each
    when ``by_get`` or the server refuses calendar-multiget as unsupported; also returns
    whether GET was used."""
    if not by_get:
        objects: list[RemoteObject] = []
        try:
            for i in range(0, len(hrefs), MULTIGET_BATCH):
                objects.extend(multiget(calendar, hrefs[i : i + MULTIGET_BATCH]))
            return objects, False
        except RequestUnsupported as exc:
            log.info("%s does not offer calendar-multiget (%s); fetching objects one by one", calendar.url, exc)
    if len(hrefs) > MANY_OBJECTS:
        log.warning("fetching %d calendar objects of %s one GET at a time", len(hrefs), calendar.url)
    return [obj for href in hrefs if (obj := get_object(calendar, href)) is not None], True


def read_listing(calendar: CalDAVCalendar, *, by_get: bool = False) -> tuple[list[RemoteObject], bool]:
    """Every object of the calendar without calendar-query: PROPFIND depth 1, then
    calendar-multiget (or GET each); also returns whether GET was used."""
    etags = list_etags(calendar)
    if len(etags) > MANY_OBJECTS:
        log.warning("%s has %d objects; every full load reads all of them", calendar.url, len(etags))
    return _fetch(calendar, sorted(etags), by_get=by_get)


def _full_load(calendar: CalDAVCalendar, state: SyncState, window: Interval) -> CalendarRead:
    remote = collection_state(calendar)  # before the query: a change in between is read again next time
    if state.method not in LISTING_METHODS:
        try:
            objects = calendar.fetch_events(window.start - timedelta(days=1), window.end + timedelta(days=1))
        except RequestUnsupported as exc:
            log.info("%s does not offer calendar-query (%s); listing it with PROPFIND", calendar.url, exc)
        else:
            offered = {SYNC_TOKEN: remote.sync_token is not None, CTAG: remote.ctag is not None, QUERY: True}
            if state.method in METHODS and offered[state.method]:
                method = state.method
            else:
                method = next(m for m in METHODS if offered[m])
            return CalendarRead(True, objects, method, remote.sync_token, remote.ctag)
    objects, by_get = read_listing(calendar, by_get=state.method == ETAG_GET)
    return CalendarRead(True, objects, ETAG_GET if by_get else ETAG, None, remote.ctag)


def _by_sync_token(calendar: CalDAVCalendar, state: SyncState, token: str) -> CalendarRead:
    changes = sync_changes(calendar, token)
    objects, _by_get = _fetch(calendar, sorted(changes.changed), by_get=False)
    fetched = {obj.href for obj in objects}
    gone = {href for href in changes.changed if href not in fetched}  # removed between the two requests
    return CalendarRead(False, objects, SYNC_TOKEN, changes.token, state.ctag, removed=changes.removed | gone)


def _by_etags(calendar: CalDAVCalendar, state: SyncState, method: str) -> CalendarRead:
    """CTag unchanged (where the server has one): nothing to do; otherwise PROPFIND depth 1
    and fetch the objects whose ETag differs (``ctag``, ``etag``: multiget; ``etag-get``: GET)."""
    remote = collection_state(calendar)
    if remote.ctag is not None and remote.ctag == state.ctag:
        return CalendarRead(False, [], method, state.sync_token, state.ctag)
    etags = list_etags(calendar)
    changed = [h for h, etag in etags.items() if etag is None or state.cached_etags.get(h) != etag]
    objects, by_get = _fetch(calendar, changed, by_get=method == ETAG_GET)
    if by_get and method == ETAG:
        method = ETAG_GET  # the server stopped offering calendar-multiget
    removed = set(state.cached_etags) - set(etags)
    return CalendarRead(False, objects, method, state.sync_token, remote.ctag, removed=removed)


def read_calendar(account: CalendarAccount, state: SyncState, window: Interval, limits: RequestLimits) -> CalendarRead:
    """Read the calendar the cheapest way the server and the remembered state allow."""
    with CalDAVCalendar(account, limits) as calendar:
        if state.window_matches:
            if state.method == SYNC_TOKEN and state.sync_token:
                try:
                    return _by_sync_token(calendar, state, state.sync_token)
                except SyncTokenInvalid as exc:
                    log.info("sync token of %s no longer valid (%s); reading everything", account.url, exc)
            elif state.method == CTAG and state.ctag:
                return _by_etags(calendar, state, CTAG)
            elif state.method in LISTING_METHODS:
                return _by_etags(calendar, state, state.method)
        return _full_load(calendar, state, window)


def fetch_window(
    url: str, username: str | None, password: str | None, window: Interval, *, limits: RequestLimits
) -> list[RemoteObject]:
    """The VEVENT objects of the calendar at ``url`` with an occurrence in ``window`` (one
    day more on each side, for all-day and floating events), for the operators' command. A
    server without calendar-query gives every object of the calendar (``read_listing``)."""
    with CalDAVCalendar(CalendarAccount(url, username, password), limits) as calendar:
        try:
            return calendar.fetch_events(window.start - timedelta(days=1), window.end + timedelta(days=1))
        except RequestUnsupported:  # a limited server: every object, the caller's expansion clips
            return read_listing(calendar)[0]
