"""The HTTP session the worker talks to one advisor's calendar server with.

The server is not ours, and it gets the advisor's password, so every request of the
session is held to the calendar it was opened for:

- **Same origin.** A request goes only to the calendar URL's own scheme, host and port
  (``OutsideCalendar`` otherwise): an absolute href in a PROPFIND answer that names
  another host is never fetched with the advisor's credentials. Hrefs are further held to
  the calendar's own path by ``inside_calendar`` (used where hrefs are read).
- **No redirects elsewhere.** Redirects are followed by hand, at most ``MAX_REDIRECTS``
  and only within the origin; one to another origin is refused, not fetched.
- **Checked at connect time.** Right after the connection is made and before the request
  (and its credentials) is sent, the address actually connected to must be public, or
  admitted by ``PLANNER_CALENDAR_HOSTS_ALLOWED`` (``shared.network_policy.address_allowed``).
  The URL was checked when it was saved and again before the sync, but a name can
  resolve differently a moment later (DNS rebinding); this check is on the socket's peer.
  No proxy from the environment and no ``.netrc`` is used (``trust_env`` off), so the
  peer is the calendar server itself.
- **Bounded.** An answer larger than ``max_response_bytes`` (decoded) is stopped at the
  cap (``ResponseTooLarge``), compressed answers are not asked for, and every request has
  a total deadline as well as a per-read timeout: a server that trickles a byte now and
  then (each read within the timeout) is cut off at the deadline (``DeadlineExceeded``),
  also while it sends its headers. The session as a whole has a deadline too (one sync):
  after it no request is started.

Errors here are subclasses of the HTTP library's ``RequestException`` so that the caldav
library passes them on unchanged; ``caldav_client`` maps them to the Danish errors staff
see. No message quotes what the server sent: they name the host or the kind of problem.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import niquests

from shared.network_policy import DEFAULT_PORTS, AllowList, address_allowed, shown

MAX_REDIRECTS = 3
CHUNK_BYTES = 16 * 1024
"""Read size of an answer; decoded chunks are counted against the cap as they arrive."""
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """How long and how much the worker gives one calendar server.

    ``timeout``: per connect and per read; ``deadline``: one whole request (headers and
    body); ``session_deadline``: every request of one sync together; ``max_response_bytes``:
    one answer, decoded; ``allow``: internal addresses IT admits (the allow-list setting);
    ``resolver``: how host names are looked up, as a niquests resolver description (e.g.
    ``doh+google://``); None: the system's resolver.
    """

    timeout: float = 20.0
    deadline: float = 60.0
    session_deadline: float = 90.0
    max_response_bytes: int = 32 * 1024 * 1024
    allow: AllowList = field(default_factory=AllowList)
    resolver: str | None = None


class CalendarHttpError(niquests.exceptions.RequestException):
    """A request the session refused or cut off; ``kind`` names the problem for staff."""

    kind = "forespørgslen blev afbrudt"


class OutsideCalendar(CalendarHttpError):
    """A request for another origin than the calendar's (an href, a redirect)."""

    kind = "henvisning til en anden server"


class AddressRefused(CalendarHttpError):
    """The connection went to an internal address that is not allow-listed."""

    kind = "serveren har en intern adresse"


class ResponseTooLarge(CalendarHttpError):
    """The answer was larger than the cap."""

    kind = "svaret er for stort"


class DeadlineExceeded(CalendarHttpError):
    """The request (or the sync) took longer than its deadline."""

    kind = "serveren svarede ikke inden for tidsgrænsen"


Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin:
    """(scheme, host, port) of ``url``, lower case, with the scheme's default port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower().rstrip("."), parts.port or DEFAULT_PORTS.get(scheme, 0)


def inside_calendar(calendar_url: str, href_url: str) -> bool:
    """Whether ``href_url`` (absolute) is on the calendar's origin and under its path."""
    if origin_of(href_url) != origin_of(calendar_url):
        return False
    base = unquote(urlsplit(calendar_url).path).rstrip("/") + "/"
    path = unquote(urlsplit(href_url).path)
    return (path.rstrip("/") + "/").startswith(base) and ".." not in path.split("/")


class CalendarSession(niquests.Session):
    """A ``niquests.Session`` for one calendar: see the module docstring."""

    def __init__(self, calendar_url: str, limits: RequestLimits, clock: Callable[[], float] = time.monotonic):
        super().__init__(**({"resolver": limits.resolver} if limits.resolver else {}))
        self.trust_env = False
        self.origin = origin_of(calendar_url)
        self.limits = limits
        self.clock = clock
        self.ends_at = clock() + limits.session_deadline
        self.refused: AddressRefused | None = None
        self.hooks["pre_send"].append(self._check_peer)

    def _check_peer(self, prepared: Any, **_: Any) -> None:
        info = getattr(prepared, "conn_info", None)
        peer = getattr(info, "destination_address", None)
        if not peer:
            self.refused = AddressRefused("no peer address")
        elif not address_allowed(peer[0], self.limits.allow, peer[1]):
            self.refused = AddressRefused(f"{shown(self.origin[1])} → {peer[0]}")
        if self.refused is not None:
            raise self.refused  # the library may wrap it in a ConnectionError: ``_bounded`` unwraps

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> niquests.Response:  # type: ignore[override]
        """One request within the rules: same origin, redirects by hand, bounded answer."""
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        headers = dict(kwargs.pop("headers", None) or {})
        headers["Accept-Encoding"] = "identity"
        for _hop in range(MAX_REDIRECTS + 1):
            if origin_of(url) != self.origin:
                raise OutsideCalendar(shown(origin_of(url)[1]))
            response = self._bounded(method, url, args, dict(kwargs, headers=headers))
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                return response
            url = urljoin(url, location)
            if response.status_code == 303:
                method, kwargs["data"] = "GET", None
        raise OutsideCalendar("for mange omdirigeringer")

    def _bounded(self, method: str, url: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> niquests.Response:
        remaining = self.ends_at - self.clock()
        if remaining <= 0:
            raise DeadlineExceeded("session")
        deadline = min(self.limits.deadline, remaining)
        cut_off = threading.Event()

        def cut() -> None:
            cut_off.set()
            self.close()  # aborts the read in progress, also one blocked in the headers

        timer = threading.Timer(deadline, cut)
        timer.daemon = True
        timer.start()
        try:
            response = super().request(method, url, *args, **kwargs)
            body = self._read(response, cut_off)
        except niquests.exceptions.RequestException as exc:
            if self.refused is not None:
                raise self.refused from exc
            if cut_off.is_set() and not isinstance(exc, CalendarHttpError):
                raise DeadlineExceeded(f"{deadline:g} s") from exc
            raise
        finally:
            timer.cancel()
        if cut_off.is_set():
            raise DeadlineExceeded(f"{deadline:g} s")
        response._content = body  # the caller reads .content/.text as from any response
        response._content_consumed = True
        return response

    def _read(self, response: niquests.Response, cut_off: threading.Event) -> bytes:
        cap = self.limits.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            response.close()
            raise ResponseTooLarge(f"{int(declared)} > {cap}")
        parts: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
            size += len(chunk)
            if size > cap:
                response.close()
                raise ResponseTooLarge(f"> {cap}")
            if cut_off.is_set():
                break
            parts.append(chunk)
        return b"".join(parts)
