"""A small loopback HTTP proxy in front of the test Radicale: it forwards every request,
unless its ``refuse`` hook answers it first. That makes Radicale look like a server that is
down for a moment (``FlakyProxy``: 503 for the first N requests) or like a limited server
that does not offer some REPORTs (e.g. 501 to every ``calendar-query``). Every request is
recorded (``seen``) with its conditional headers and the answer's ETag, so tests can count
what the worker asked for and check what it sent on the wire (e.g. ``If-Match``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

Refusal = int | tuple[int, bytes] | None
"""What ``refuse`` answers: None (forward), a status, or a status and an XML body."""
RefuseHook = Callable[[str, bytes], Refusal]
"""``refuse(method, body)``: called for every request before it is forwarded."""

HOP_BY_HOP = ("content-length", "transfer-encoding", "connection", "content-encoding")
RECORDED_HEADERS = ("if-match", "if-none-match", "depth", "content-type")
"""The request headers ``Seen.headers`` keeps (lower-case names; never credentials)."""


def recorded(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The ``RECORDED_HEADERS`` among ``headers`` (name, value pairs), by lower-case name."""
    return {k.lower(): v for k, v in headers if k.lower() in RECORDED_HEADERS}


@dataclass(frozen=True)
class Seen:
    """One request the proxy received and the status it answered."""

    method: str
    path: str
    body: bytes
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    """The request's ``RECORDED_HEADERS``, by lower-case name."""
    etag: str | None = None
    """The ETag header of the answer, if it had one."""

    def header(self, name: str) -> str | None:
        """The request header ``name`` (any case) as sent, or None."""
        return self.headers.get(name.lower())

    @property
    def hrefs(self) -> list[str]:
        """The ``href`` elements of the body (a calendar-multiget's objects)."""
        return re.findall(r"<(?:\w+:)?href>([^<]*)</(?:\w+:)?href>", self.body.decode("utf-8", "replace"))


def assert_reread_once(wire: list[Seen], path: str, stale: str, fresh: str) -> Seen:
    """``wire`` is one conditional update of ``path`` whose ETag was out of date: a PUT with
    ``If-Match: stale`` refused with 412, one Depth-0 PROPFIND of the same object, and a PUT
    with ``If-Match: fresh`` that succeeded; returns that last PUT."""
    assert [seen.method for seen in wire] == ["PUT", "PROPFIND", "PUT"], "one re-read between two PUTs"
    refused, reread, written = wire
    assert (refused.path, refused.header("If-Match"), refused.status) == (path, stale, 412)
    assert (reread.path, reread.header("Depth")) == (path, "0")
    assert (written.path, written.header("If-Match")) == (path, fresh)
    assert written.status in (200, 201, 204) and written.etag
    return written


class HttpProxy:
    """Forwards every request to ``target`` unless ``refuse(method, body)`` gives a status."""

    def __init__(self, target: str, refuse: RefuseHook | None = None):
        self.target = target.rstrip("/")
        self.refuse: RefuseHook = refuse or (lambda _method, _body: None)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                refusal = proxy.refuse(self.command, body)
                if refusal is not None:
                    status, xml = refusal if isinstance(refusal, tuple) else (refusal, b"")
                    proxy._record(Seen(self.command, self.path, body, status, recorded(self.headers.items())))
                    extra = [("Content-Type", 'application/xml; charset="utf-8"')] if xml else []
                    if status == 401:
                        extra.append(("WWW-Authenticate", 'Basic realm="limited"'))
                    self._answer(status, extra, xml)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = requests.request(
                    self.command, proxy.target + self.path, headers=headers, data=body, timeout=30
                )
                sent, etag = recorded(self.headers.items()), upstream.headers.get("ETag")
                proxy._record(Seen(self.command, self.path, body, upstream.status_code, sent, etag))
                forwarded = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
                self._answer(upstream.status_code, forwarded, upstream.content)

            do_GET = do_PUT = do_DELETE = do_REPORT = do_PROPFIND = do_OPTIONS = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    @property
    def answered(self) -> list[int]:
        """The status of every answer, in order."""
        return [seen.status for seen in self.seen]

    def url_for(self, upstream_url: str) -> str:
        return f"http://127.0.0.1:{self.port}" + upstream_url.removeprefix(self.target)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FlakyProxy(HttpProxy):
    """Forwards every request to ``target``, but answers the first ``failures`` with 503."""

    def __init__(self, target: str, failures: int):
        self.failures = failures
        super().__init__(target, self._fail_first)

    def _fail_first(self, _method: str, _body: bytes) -> Refusal:
        with self._lock:
            if self.failures <= 0:
                return None
            self.failures -= 1
            return 503


def refuse_reports(*names: str, status: int = 501, body: bytes = b"") -> RefuseHook:
    """A limited server: answers ``status`` (and ``body``) to every REPORT whose body
    contains one of ``names`` (e.g. ``"calendar-query"``, ``"calendar-multiget"``)."""

    def refuse(method: str, request_body: bytes) -> Refusal:
        if method == "REPORT" and any(name.encode() in request_body for name in names):
            return (status, body) if body else status
        return None

    return refuse
