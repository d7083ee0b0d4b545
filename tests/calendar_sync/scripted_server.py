"""A loopback HTTP server that answers as a test script says: a hostile or odd calendar
server (hrefs to other hosts, redirects, huge or trickled answers), or the internal host a
hostile server would like the worker to reach. Every request is recorded with whether it
carried credentials, so a test sees what reached which server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    depth: str | None
    body: bytes
    authorized: bool


@dataclass
class Answer:
    """What the server sends: ``status``, ``headers`` and ``body``; ``pieces`` instead of a
    body sends those byte strings ``pause`` seconds apart (a server that trickles), and
    ``head_pause`` does the same for the status line and headers, byte by byte."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    pieces: Iterable[bytes] | None = None
    pause: float = 0.0
    head_pause: float = 0.0


Script = Callable[[Request], Answer]


class ScriptedServer:
    """``ScriptedServer(script)``: serves on 127.0.0.1 until ``close``; ``seen`` lists the requests."""

    def __init__(self, script: Script):
        self.script = script
        self.seen: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = Request(
                    self.command, self.path, self.headers.get("Depth"), body, "Authorization" in self.headers
                )
                with server._lock:
                    server.seen.append(request)
                answer = server.script(request)
                try:
                    self._send(answer)
                except OSError:  # the client hung up (cut off at its cap or deadline)
                    self.close_connection = True

            def _send(self, answer: Answer) -> None:
                headers = dict(answer.headers)
                if answer.pieces is None:
                    headers.setdefault("Content-Length", str(len(answer.body)))
                else:
                    headers["Transfer-Encoding"] = "chunked"
                head = f"HTTP/1.1 {answer.status} Scripted\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                if answer.head_pause:
                    for byte in head.encode():
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.head_pause)  # the hostile server's pace, not a wait for a race
                    self.wfile.write(b"\r\n")
                else:
                    self.wfile.write(head.encode() + b"\r\n")
                if answer.pieces is None:
                    self.wfile.write(answer.body)
                    return
                for piece in answer.pieces:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                    if answer.pause:
                        time.sleep(answer.pause)  # the hostile server's pace
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_PUT = do_DELETE = do_REPORT = do_PROPFIND = do_OPTIONS = _serve

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def requests(self, method: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.seen if method is None or r.method == method]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


MULTISTATUS = '<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus xmlns:d="DAV:">{}</d:multistatus>'


def etag_listing(items: dict[str, str]) -> bytes:
    """A PROPFIND depth-1 answer listing ``href -> etag``."""
    responses = "".join(
        f"<d:response><d:href>{href}</d:href><d:propstat><d:prop><d:getetag>{etag}</d:getetag>"
        "<d:resourcetype/></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
        for href, etag in items.items()
    )
    return MULTISTATUS.format(responses).encode()


XML = {"Content-Type": 'application/xml; charset="utf-8"'}
ICS = {"Content-Type": "text/calendar; charset=utf-8"}
