"""A real Xandikos CalDAV server for the calendar-sync tests, run as a subprocess.

Xandikos (git-backed, pure Python) is the second server the worker is proven against,
besides the embedded Radicale. It runs without authentication on a free loopback port
with its own data directory; ``--defaults`` makes the principal ``/user/`` and its
calendar home ``/user/calendars/``, where each test makes its own calendar (MKCALENDAR).

It is a declared test dependency: when it cannot be started the tests FAIL, not skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.child_processes import die_with_this_thread
from tests.conftest import free_port

START_TIMEOUT_SECONDS = 20.0
HOME = "/user/calendars/"
PROPFIND_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>\n<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>'
)
XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8"}


class XandikosNotStarted(RuntimeError):
    """Xandikos did not answer within the deadline (or exited)."""


@dataclass
class XandikosServer:
    """A running Xandikos; ``stop()`` ends it."""

    url: str
    data_dir: Path
    log_file: Path
    _process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def home(self) -> str:
        return self.url.rstrip("/") + HOME

    def create_calendar(self, name: str | None = None) -> str:
        """A new, empty calendar (MKCALENDAR) in the calendar home; returns its URL."""
        url = f"{self.home}{name or 'test-' + uuid.uuid4().hex[:10]}/"
        response = requests.request("MKCALENDAR", url, timeout=10)
        if response.status_code != 201:
            raise RuntimeError(f"MKCALENDAR {url} answered HTTP {response.status_code}: {response.text[:200]}")
        return url

    def put(self, calendar_url: str, name: str, ics_text: str) -> str:
        """PUT ``ics_text`` as ``<calendar>/<name>.ics`` unconditionally; returns the new ETag."""
        response = requests.put(
            f"{calendar_url}{name}.ics",
            data=ics_text.encode(),
            headers={"Content-Type": "text/calendar; charset=utf-8"},
            timeout=10,
        )
        if response.status_code not in (200, 201, 204):
            raise RuntimeError(f"PUT {name}.ics answered HTTP {response.status_code}: {response.text[:200]}")
        return response.headers.get("ETag", "")

    def delete(self, calendar_url: str, name: str) -> None:
        response = requests.delete(f"{calendar_url}{name}.ics", timeout=10)
        if response.status_code not in (200, 204):
            raise RuntimeError(f"DELETE {name}.ics answered HTTP {response.status_code}")

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        response = requests.request(
            "PROPFIND", url, data=PROPFIND_BODY, headers={**XML_HEADERS, "Depth": "0"}, timeout=0.5
        )
    except requests.RequestException:
        return False
    return response.status_code == 207


def _launch(base_dir: Path, attempt: int) -> XandikosServer:
    port = free_port()
    data_dir = base_dir / f"data-{attempt}"
    log_file = base_dir / f"xandikos-{attempt}.log"
    env = {**os.environ, "XDG_DATA_HOME": str(base_dir / "state")}  # keys and such stay in the temp dir
    env.pop("LISTEN_FDS", None)
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "xandikos.web",
                "--listen-address",
                "127.0.0.1",
                "--port",
                str(port),
                "--directory",
                str(data_dir),
                "--defaults",
                "--no-detect-systemd",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=die_with_this_thread(),  # dies with pytest, even when it is killed hard
        )
    server = XandikosServer(f"http://127.0.0.1:{port}/", data_dir, log_file, process)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _answers(server.home):
            return server
        if process.poll() is not None:
            raise XandikosNotStarted(f"xandikos exited with {process.returncode}:\n{server.log_tail()}")
        time.sleep(0.05)  # a poll interval, not a wait for readiness: the deadline bounds the loop
    server.stop()
    raise XandikosNotStarted(f"xandikos did not answer within {START_TIMEOUT_SECONDS}s:\n{server.log_tail()}")


def start_xandikos(base_dir: Path, attempts: int = 3) -> XandikosServer:
    """Start Xandikos on a free loopback port and wait until its calendar home answers.

    A port taken between choosing and binding it makes the process exit; then another port
    is tried. Raises ``XandikosNotStarted`` when it never answers.
    """
    failure: XandikosNotStarted | None = None
    for attempt in range(attempts):
        try:
            return _launch(base_dir, attempt)
        except XandikosNotStarted as exc:
            failure = exc
    assert failure is not None
    raise failure
