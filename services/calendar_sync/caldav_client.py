"""Talking to an advisor's CalDAV calendar with the caldav library.

Reading is ONE calendar-query REPORT with a time-range filter and no expansion on the
server (the worker expands locally, the same way for every server). Writing is one PUT
with ``If-None-Match: *``, so a redelivered booking never makes a second event.

Errors are mapped for the callers: the server not answering (connection refused, timeout,
5xx, rate limit) is ``shared.errors.UpstreamUnavailable`` and worth retrying; anything
else the server refuses (wrong password, unknown calendar) is ``CalendarAccessRefused``,
which retrying will not fix. Messages are Danish: staff see them.

A server that does not offer a REPORT at all (some Exchange gateways such as DavMail,
minimal WebDAV servers) answers 400, 405, 415 or 501, or 403 with a ``supported-report``
/ ``supported-filter`` precondition: that is ``RequestUnsupported`` (see
``refused_as_unsupported``), and the caller reads the calendar another way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urljoin, urlsplit

import caldav
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as http

from shared.errors import PlannerError, UpstreamUnavailable

log = logging.getLogger(__name__)


class CalendarAccessRefused(PlannerError):
    """The calendar server answered, but refused (login, rights, unknown calendar)."""

    status = 502
    title = "Kalenderen afviste forespørgslen"
    code = "calendar_access_refused"


class RequestUnsupported(Exception):
    """The server answered, but does not offer this kind of request (a REPORT, a filter).

    Not a ``PlannerError``: the reading code catches it and falls back to simpler requests."""

    def __init__(self, request: str, status: int | None):
        super().__init__(f"{request}: HTTP {status}")
        self.request, self.status = request, status


UNSUPPORTED_STATUSES = frozenset({400, 405, 415, 501})
"""Answers to a well-formed REPORT that mean "not offered here": 400 (the server does not
understand the report or its filter: DavMail and others), 405 (REPORT not allowed on the
resource), 415 (the body's type is not accepted), 501 (not implemented). 401, 403 without
an explaining precondition, 404 and 409 are about login, rights or the calendar itself;
5xx other than 501 means the server is in trouble and is retried."""

UNSUPPORTED_PRECONDITIONS = frozenset(
    {
        "{DAV:}supported-report",
        "{urn:ietf:params:xml:ns:caldav}supported-filter",
        "{urn:ietf:params:xml:ns:caldav}supported-calendar-component",
        "{urn:ietf:params:xml:ns:caldav}supported-calendar-data",
        "{urn:ietf:params:xml:ns:caldav}supported-collation",
        "{urn:ietf:params:xml:ns:caldav}valid-filter",
    }
)
"""DAV:error preconditions with which a 403 means "this request is not offered" (RFC 3253
3.6, RFC 4791 7.8/7.9), not "you may not read this calendar"."""


def refused_as_unsupported(status: int | None, preconditions: Iterable[str] = ()) -> bool:
    """Whether a refused REPORT means the server does not offer it (read another way)
    rather than a login/rights problem (401, a bare 403) or a server in trouble (5xx)."""
    if status in UNSUPPORTED_STATUSES:
        return True
    return status == 403 and any(p in UNSUPPORTED_PRECONDITIONS for p in preconditions)


@dataclass(frozen=True, slots=True)
class CalendarAccount:
    """Where an advisor's calendar is and how to log in (the password in plain text, in memory only)."""

    url: str
    username: str | None
    password: str | None

    def __repr__(self) -> str:
        return f"CalendarAccount(url={self.url!r}, username={self.username!r}, password=***)"


class RemoteObject(NamedTuple):
    """One calendar object as the server holds it: ``(href, etag, ics_text)``."""

    href: str
    etag: str | None
    ics_text: str


def normalise_href(base_url: str, href: str) -> str:
    """An absolute URL for ``href`` with the path unquoted, so hrefs from any request compare."""
    parts = urlsplit(urljoin(base_url, href.strip()))
    return f"{parts.scheme}://{parts.netloc}{unquote(parts.path)}"


def _calendar_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


@contextmanager
def _translated_errors(account: CalendarAccount, action: str) -> Iterator[None]:
    try:
        yield
    except (http.exceptions.ConnectionError, http.exceptions.Timeout, dav_error.RateLimitError) as exc:
        raise UpstreamUnavailable(f"Kalenderserveren svarer ikke ({action}): {exc}") from exc
    except dav_error.AuthorizationError as exc:
        raise CalendarAccessRefused(
            f"Kalenderserveren afviste login eller adgang for {account.username or 'ukendt bruger'} ({action})."
        ) from exc
    except dav_error.DAVError as exc:
        status = getattr(exc, "status", None)
        if status is not None and status >= 500:
            raise UpstreamUnavailable(f"Kalenderserveren fejlede ({action}): HTTP {status}") from exc
        raise CalendarAccessRefused(f"Kalenderserveren afviste forespørgslen ({action}): {exc.reason}") from exc
    except http.exceptions.RequestException as exc:
        raise CalendarAccessRefused(f"Kalenderen kan ikke nås ({action}): {exc}") from exc


class CalDAVCalendar:
    """One advisor's calendar; use as a context manager (closes the HTTP session)."""

    def __init__(self, account: CalendarAccount, timeout: float):
        self.account = account
        self.url = _calendar_url(account.url)
        self.client = caldav.DAVClient(
            url=self.url, username=account.username, password=account.password, timeout=timeout
        )
        self.calendar = self.client.calendar(url=self.url)

    def __enter__(self) -> CalDAVCalendar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def fetch_events(self, start: datetime, end: datetime) -> list[RemoteObject]:
        """Every VEVENT object with an occurrence in ``[start, end)``, unexpanded.

        One REPORT (calendar-query, comp-filter VEVENT, time-range); the server decides
        which objects overlap, so the caller should ask for a day more on each side when
        all-day or floating events near the edges matter. Raises ``RequestUnsupported``
        when the server does not offer the calendar-query REPORT.
        """
        with _translated_errors(self.account, "læsning"):
            try:
                found: list[Any] = self.calendar.search(
                    start=start, end=end, event=True, expand=False, post_filter=False
                )
            except dav_error.DAVError as exc:
                status = getattr(exc, "status", None)
                if refused_as_unsupported(status, getattr(exc, "preconditions", ())):
                    raise RequestUnsupported("calendar-query", status) from exc
                raise
        objects: list[RemoteObject] = []
        for item in found:
            text = item.data
            if not text:
                continue
            href = normalise_href(self.url, str(item.url))
            objects.append(RemoteObject(href=href, etag=item.etag, ics_text=str(text)))
        return objects

    def put_event(self, uid: str, ics_text: str) -> tuple[str, str | None]:
        """Create ``<calendar>/<uid>.ics`` unless it exists; returns (href, etag).

        412 (it exists already, e.g. a redelivered booking) counts as done: the existing
        object is left as it is.
        """
        href = self.url + quote(f"{uid}.ics", safe="@")
        with _translated_errors(self.account, "skrivning"):
            response = self.client.put(
                href, ics_text, {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"}
            )
        if response.status in (200, 201, 204):
            return href, response.headers.get("ETag")
        if response.status == 412:
            log.info("calendar object %s exists already; not writing it again", href)
            return href, None
        if response.status >= 500:
            raise UpstreamUnavailable(f"Kalenderserveren fejlede (skrivning): HTTP {response.status}")
        raise CalendarAccessRefused(f"Kalenderserveren afviste mødet: HTTP {response.status}")


def put_event(
    url: str, username: str | None, password: str | None, uid: str, ics_text: str, *, timeout: float = 20.0
) -> tuple[str, str | None]:
    """PUT ``ics_text`` as ``<url>/<uid>.ics`` with If-None-Match: * ; returns (href, etag)."""
    with CalDAVCalendar(CalendarAccount(url, username, password), timeout) as calendar:
        return calendar.put_event(uid, ics_text)
