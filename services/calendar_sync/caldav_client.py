"""Talking to an advisor's CalDAV calendar with the caldav library.

Reading is ONE calendar-query REPORT with a time-range filter and no expansion on the
server (the worker expands locally, the same way for every server). Writing is one PUT
with ``If-None-Match: *``, so a redelivered booking never makes a second event.

Errors are mapped for the callers: the server not answering (connection refused, timeout,
5xx, rate limit) is ``shared.errors.UpstreamUnavailable`` and worth retrying; anything
else the server refuses (wrong password, unknown calendar) is ``CalendarAccessRefused``,
which retrying will not fix. Messages are Danish: staff see them.

Every request goes through ``caldav_http.CalendarSession``: only to the calendar's own
origin, redirects only within it, the peer address checked at connect time, the answer
capped in size and the request (and the whole sync) in time. No error message quotes
what the server sent (an answer's body, an object's content): staff see the host, the
HTTP status or the kind of problem.

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

from services.calendar_sync.caldav_http import (
    CalendarHttpError,
    CalendarSession,
    DeadlineExceeded,
    RequestLimits,
    inside_calendar,
)
from shared.config import Settings
from shared.errors import PlannerError, UpstreamUnavailable
from shared.network_policy import allow_list, shown

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


def request_limits(settings: Settings) -> RequestLimits:
    """The bounds of this deployment's calendar requests (timeouts, deadlines, answer size,
    the allow-list of internal hosts)."""
    return RequestLimits(
        timeout=settings.caldav_timeout_seconds,
        deadline=settings.caldav_request_deadline_seconds,
        session_deadline=settings.caldav_sync_deadline_seconds,
        max_response_bytes=settings.caldav_max_response_bytes,
        allow=allow_list(settings.calendar_hosts_allowed),
    )


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


def _host(account: CalendarAccount) -> str:
    return shown(urlsplit(account.url).hostname or "?")


@contextmanager
def _translated_errors(account: CalendarAccount, action: str) -> Iterator[None]:
    """The errors of one request as staff should read them; never the server's own words
    (an error body, an exception text that may hold them), only host, status and kind."""
    try:
        yield
    except DeadlineExceeded as exc:
        raise UpstreamUnavailable(f"Kalenderserveren {_host(account)} svarede ikke i tide ({action}).") from exc
    except CalendarHttpError as exc:
        raise CalendarAccessRefused(
            f"Kalenderserveren {_host(account)} blev ikke læst ({action}): {exc.kind}."
        ) from exc
    except dav_error.RateLimitError as exc:
        raise UpstreamUnavailable(f"Kalenderserveren {_host(account)} beder om at vente ({action}).") from exc
    except http.exceptions.Timeout as exc:
        raise UpstreamUnavailable(f"Kalenderserveren {_host(account)} svarer ikke i tide ({action}).") from exc
    except http.exceptions.ConnectionError as exc:
        raise UpstreamUnavailable(f"Kalenderserveren {_host(account)} svarer ikke ({action}).") from exc
    except dav_error.AuthorizationError as exc:
        raise CalendarAccessRefused(
            f"Kalenderserveren afviste login eller adgang for {account.username or 'ukendt bruger'} ({action})."
        ) from exc
    except dav_error.DAVError as exc:
        status = getattr(exc, "status", None)
        if status is not None and status >= 500:
            raise UpstreamUnavailable(f"Kalenderserveren fejlede ({action}): HTTP {status}") from exc
        shown_status = f"HTTP {status}" if status is not None else type(exc).__name__
        raise CalendarAccessRefused(f"Kalenderserveren afviste forespørgslen ({action}): {shown_status}") from exc
    except http.exceptions.RequestException as exc:
        raise CalendarAccessRefused(f"Kalenderen {_host(account)} kan ikke nås ({action}).") from exc


class CalDAVCalendar:
    """One advisor's calendar; use as a context manager (closes the HTTP session).

    The caldav library builds the requests; they are sent through a ``CalendarSession``
    held to this calendar and to ``limits`` (see ``caldav_http``)."""

    def __init__(self, account: CalendarAccount, limits: RequestLimits):
        self.account = account
        self.url = _calendar_url(account.url)
        self.client = caldav.DAVClient(
            url=self.url, username=account.username, password=account.password, timeout=limits.timeout
        )
        self.client.session.close()
        self.client.session = CalendarSession(self.url, limits)
        self.client.rate_limit_handle = False  # a 429/503 is retried by the task, never slept on here
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
            if not inside_calendar(self.url, href):
                log.warning("calendar %s listed an object outside it (%s); not read", self.url, shown(href))
                continue
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
