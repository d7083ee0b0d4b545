"""Changing and removing a booked meeting's event in the advisor's calendar.

Both use ``If-Match`` with the object's ETag (never Schedule-Tag), so an event the
advisor edited in between is not overwritten blindly: on 412 the current ETag is read
again and the request retried once. A delete answered 404 means the event is gone
already, which is what was wanted (a redelivered cancellation).
"""

from __future__ import annotations

import logging

from services.calendar_sync.caldav_client import CalDAVCalendar, CalendarAccessRefused, _translated_errors
from services.calendar_sync.caldav_incremental import NS, XML_HEAD, _tree
from shared.errors import UpstreamUnavailable

log = logging.getLogger(__name__)

ICS_HEADERS = {"Content-Type": "text/calendar; charset=utf-8"}


def current_etag(calendar: CalDAVCalendar, href: str) -> str | None:
    """The object's ETag now, or None when it does not exist (PROPFIND depth 0).

    Radicale answers a missing object with 404; Xandikos with 207 and a 404 inside the
    multistatus. Only a non-empty ETag in a 200 propstat counts.
    """
    body = XML_HEAD + '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
    with _translated_errors(calendar.account, "etag"):
        response = calendar.client.request(href, "PROPFIND", body, {"Depth": "0"})
    if response.status == 404:
        return None
    _fail_unless(response.status in (200, 207), response.status, "etag")
    for propstat in _tree(response).iterfind(".//d:propstat", NS):
        if (propstat.findtext("d:status", namespaces=NS) or "").split()[1:2] == ["200"]:
            etag = (propstat.findtext("d:prop/d:getetag", namespaces=NS) or "").strip()
            if etag:
                return etag
    return None


def _fail_unless(ok: bool, status: int, action: str) -> None:
    if ok:
        return
    if status >= 500:
        raise UpstreamUnavailable(f"Kalenderserveren fejlede ({action}): HTTP {status}")
    raise CalendarAccessRefused(f"Kalenderserveren afviste ændringen ({action}): HTTP {status}")


def update_event(calendar: CalDAVCalendar, href: str, ics_text: str, etag: str | None) -> str | None:
    """Replace the event at ``href`` if it still has ``etag``; returns the new ETag.

    On 412 (someone changed it meanwhile) the ETag is read again and the PUT retried
    once; an event that is gone is created again (If-None-Match: *).
    """
    for attempt in range(2):
        if etag is None:
            etag = current_etag(calendar, href)
        headers = {**ICS_HEADERS, **({"If-Match": etag} if etag else {"If-None-Match": "*"})}
        with _translated_errors(calendar.account, "opdatering"):
            response = calendar.client.put(href, ics_text, headers)
        if response.status in (200, 201, 204):
            return response.headers.get("ETag") or current_etag(calendar, href)
        if response.status == 412 and attempt == 0:
            log.info("calendar object %s changed meanwhile; reading its ETag again", href)
            etag = None
            continue
        _fail_unless(False, response.status, "opdatering")
    return None


def delete_event(calendar: CalDAVCalendar, href: str, etag: str | None) -> bool:
    """Delete the event at ``href`` (If-Match); True when it was deleted, False when it was gone."""
    for attempt in range(2):
        if etag is None:
            etag = current_etag(calendar, href)
            if etag is None:
                return False
        with _translated_errors(calendar.account, "sletning"):
            response = calendar.client.delete(href, {"If-Match": etag})
        if response.status in (200, 204):
            return True
        if response.status == 404:
            return False
        if response.status == 412 and attempt == 0:
            log.info("calendar object %s changed meanwhile; reading its ETag again before deleting", href)
            etag = None
            continue
        _fail_unless(False, response.status, "sletning")
    return False
