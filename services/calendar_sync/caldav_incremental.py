"""Incremental reads of a CalDAV calendar: RFC 6578 sync-collection, CTag + ETags, multiget.

Each call is one HTTP request, built and parsed here (the caldav client sends it, so
authentication and error mapping are the same as for every other request):

* ``collection_state``: PROPFIND depth 0 for ``DAV:sync-token`` and ``CS:getctag`` (which
  of them the server has decides the sync method of the advisor);
* ``sync_changes``: REPORT sync-collection with the stored token -> changed hrefs with
  ETags, removed hrefs, the new token; an expired token raises ``SyncTokenInvalid``;
* ``list_etags``: PROPFIND depth 1 for every object's ETag (the CTag fallback);
* ``multiget``: REPORT calendar-multiget for exactly the changed hrefs; a server that does
  not offer it raises ``RequestUnsupported`` (see ``caldav_client.refused_as_unsupported``);
* ``get_object``: a plain GET of one object, for servers without calendar-multiget.

Only hrefs inside the calendar (its origin, under its path: ``caldav_http.inside_calendar``)
are taken from an answer; any other is logged by its (shortened) href and left out, so a
server cannot make the worker fetch another URL with the advisor's password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit
from xml.sax.saxutils import escape

from caldav.lib import error as dav_error
from lxml import etree

from services.calendar_sync.caldav_client import (
    CalDAVCalendar,
    CalendarAccessRefused,
    RemoteObject,
    RequestUnsupported,
    _translated_errors,
    normalise_href,
    refused_as_unsupported,
)
from services.calendar_sync.caldav_http import inside_calendar
from shared.errors import UpstreamUnavailable
from shared.network_policy import shown

log = logging.getLogger(__name__)

NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav", "cs": "http://calendarserver.org/ns/"}
XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'


class SyncTokenInvalid(Exception):
    """The server no longer accepts the stored sync token: read everything again."""


@dataclass(frozen=True)
class CollectionState:
    sync_token: str | None
    ctag: str | None


@dataclass(frozen=True)
class SyncChanges:
    token: str
    changed: dict[str, str | None]
    """href -> ETag of every object added or changed since the old token."""
    removed: set[str]


def _own_href(calendar: CalDAVCalendar, href: str) -> str | None:
    """``href`` from an answer, normalised, if it is inside the calendar; else None (logged)."""
    url = normalise_href(calendar.url, href)
    if inside_calendar(calendar.url, url):
        return url
    log.warning("calendar %s named an href outside it (%s); left out", calendar.url, shown(url))
    return None


def _tree(response: object) -> etree._Element:
    tree = getattr(response, "tree", None)
    if tree is None:
        return etree.Element("{DAV:}multistatus")
    return tree  # type: ignore[no-any-return]


def _check(calendar: CalDAVCalendar, response: object, action: str) -> None:
    status = getattr(response, "status", 0)
    if status in (200, 207):
        return
    if status >= 500:
        raise UpstreamUnavailable(f"Kalenderserveren fejlede ({action}): HTTP {status}")
    raise CalendarAccessRefused(f"Kalenderserveren afviste forespørgslen ({action}): HTTP {status}")


def collection_state(calendar: CalDAVCalendar) -> CollectionState:
    body = (
        XML_HEAD + '<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">'
        "<d:prop><d:sync-token/><cs:getctag/></d:prop></d:propfind>"
    )
    with _translated_errors(calendar.account, "synkroniseringsstatus"):
        response = calendar.client.request(calendar.url, "PROPFIND", body, {"Depth": "0"})
    _check(calendar, response, "synkroniseringsstatus")
    tree = _tree(response)
    token = tree.findtext(".//d:propstat[d:status]/d:prop/d:sync-token", namespaces=NS)
    ctag = tree.findtext(".//d:propstat[d:status]/d:prop/cs:getctag", namespaces=NS)
    ok = {
        child.tag
        for propstat in tree.iterfind(".//d:propstat", NS)
        if " 200 " in (propstat.findtext("d:status", namespaces=NS) or "")
        for child in propstat.iterfind("d:prop/*", NS)
    }
    return CollectionState(
        sync_token=token.strip() if token and "{DAV:}sync-token" in ok else None,
        ctag=ctag.strip() if ctag and "{http://calendarserver.org/ns/}getctag" in ok else None,
    )


def sync_changes(calendar: CalDAVCalendar, token: str) -> SyncChanges:
    """What changed since ``token`` (RFC 6578, sync-level 1); raises ``SyncTokenInvalid``
    when the server answers 403/412 or with the ``valid-sync-token`` precondition."""
    body = (
        XML_HEAD + '<d:sync-collection xmlns:d="DAV:">'
        f"<d:sync-token>{escape(token)}</d:sync-token><d:sync-level>1</d:sync-level>"
        "<d:prop><d:getetag/></d:prop></d:sync-collection>"
    )
    with _translated_errors(calendar.account, "synkronisering"):
        try:
            response = calendar.client.request(calendar.url, "REPORT", body, {"Depth": "0"})
        except dav_error.AuthorizationError as exc:
            if getattr(exc, "status", None) == 403 or "{DAV:}valid-sync-token" in exc.preconditions:
                raise SyncTokenInvalid(f"HTTP {exc.status}") from exc  # not the server's words
            raise
    status = getattr(response, "status", 0)
    if status in (403, 412) or (status not in (200, 207) and "valid-sync-token" in str(response.raw)):
        raise SyncTokenInvalid(f"HTTP {status}")
    _check(calendar, response, "synkronisering")
    tree = _tree(response)
    changed: dict[str, str | None] = {}
    removed: set[str] = set()
    for item in tree.iterfind("d:response", NS):
        href = item.findtext("d:href", namespaces=NS)
        if not href:
            continue
        url = _own_href(calendar, href)
        if url is None or url.rstrip("/") == normalise_href(calendar.url, calendar.url).rstrip("/"):
            continue
        if " 404 " in (item.findtext("d:status", namespaces=NS) or ""):
            removed.add(url)
            continue
        changed[url] = item.findtext(".//d:getetag", namespaces=NS)
    new_token = (tree.findtext("d:sync-token", namespaces=NS) or token).strip()
    return SyncChanges(token=new_token, changed=changed, removed=removed)


def list_etags(calendar: CalDAVCalendar) -> dict[str, str | None]:
    """Every object of the calendar and its ETag (PROPFIND depth 1)."""
    body = XML_HEAD + '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>'
    with _translated_errors(calendar.account, "etag-liste"):
        response = calendar.client.request(calendar.url, "PROPFIND", body, {"Depth": "1"})
    _check(calendar, response, "etag-liste")
    own = normalise_href(calendar.url, calendar.url).rstrip("/")
    etags: dict[str, str | None] = {}
    for item in _tree(response).iterfind("d:response", NS):
        href = item.findtext("d:href", namespaces=NS)
        if not href or item.find(".//d:resourcetype/d:collection", NS) is not None:
            continue
        url = _own_href(calendar, href)
        if url is not None and url.rstrip("/") != own:
            etags[url] = item.findtext(".//d:getetag", namespaces=NS)
    return etags


def multiget(calendar: CalDAVCalendar, hrefs: list[str]) -> list[RemoteObject]:
    """The data and ETag of exactly ``hrefs`` (one calendar-multiget REPORT); gone ones are left out."""
    hrefs = [h for h in hrefs if inside_calendar(calendar.url, h)]
    if not hrefs:
        return []
    paths = "".join(f"<d:href>{escape(urlsplit(h).path)}</d:href>" for h in hrefs)
    body = (
        XML_HEAD + '<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        f"<d:prop><d:getetag/><c:calendar-data/></d:prop>{paths}</c:calendar-multiget>"
    )
    with _translated_errors(calendar.account, "hentning"):
        try:
            response = calendar.client.request(calendar.url, "REPORT", body, {"Depth": "1"})
        except dav_error.AuthorizationError as exc:  # 401/403: unsupported only with a precondition
            if refused_as_unsupported(getattr(exc, "status", None), exc.preconditions):
                raise RequestUnsupported("calendar-multiget", exc.status) from exc
            raise
    status = getattr(response, "status", 0)
    if refused_as_unsupported(status):
        raise RequestUnsupported("calendar-multiget", status)
    _check(calendar, response, "hentning")
    objects: list[RemoteObject] = []
    for item in _tree(response).iterfind("d:response", NS):
        href = item.findtext("d:href", namespaces=NS)
        data = item.findtext(".//c:calendar-data", namespaces=NS)
        url = _own_href(calendar, href) if href and data else None
        if url is not None and data:
            objects.append(RemoteObject(url, item.findtext(".//d:getetag", namespaces=NS), data))
    return objects


def _request_url(href: str) -> str:
    """``href`` (normalised: path unquoted) as a URL to send."""
    parts = urlsplit(href)
    return urlunsplit((parts.scheme, parts.netloc, quote(parts.path, safe="/@:!$&'()*+,;=~"), "", ""))


def get_object(calendar: CalDAVCalendar, href: str) -> RemoteObject | None:
    """One object by a plain GET (for servers without calendar-multiget); None when it is
    gone (404/410) or empty. An href outside the calendar is refused, not fetched."""
    if not inside_calendar(calendar.url, href):
        raise CalendarAccessRefused(
            f"Kalenderserveren henviste til et objekt uden for kalenderen ({shown(href)}); det hentes ikke."
        )
    with _translated_errors(calendar.account, "hentning"):
        response = calendar.client.request(_request_url(href), "GET", "", {"Accept": "text/calendar"})
    status = getattr(response, "status", 0)
    if status in (404, 410):
        return None
    _check(calendar, response, "hentning")
    text = response.raw
    if not text.strip():
        return None
    return RemoteObject(normalise_href(calendar.url, href), response.headers.get("ETag"), text)
