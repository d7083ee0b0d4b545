"""An embedded Radicale CalDAV server for the demo and the tests.

Radicale's WSGI application runs on a waitress server in a daemon thread, on a free
loopback port: htpasswd logins (plain passwords in a file in ``storage_dir``), each
user sees only their own calendars (``owner_only``), and calendars are stored as files in
``storage_dir``. It is the same server IT can run on its own; here it just lives inside
the process.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import caldav
from caldav.lib import error as caldav_error
from radicale import config as radicale_config
from radicale.app import Application
from waitress.server import create_server

from services.demo.waitress_thread import stop_server

log = logging.getLogger(__name__)


def radicale_configuration(storage_dir: Path, users_file: Path) -> radicale_config.Configuration:
    """Radicale settings: htpasswd (plain) logins, owner-only rights, files in ``storage_dir``."""
    configuration = radicale_config.load()
    configuration.update(
        {
            "auth": {
                "type": "htpasswd",
                "htpasswd_filename": str(users_file),
                "htpasswd_encryption": "plain",
                "delay": "0.05",
            },
            "rights": {"type": "owner_only"},
            "storage": {
                "type": "multifilesystem",
                "filesystem_folder": str(storage_dir / "collections"),
                # Radicale drops sync tokens whose files look older than this (default 30 days),
                # judged by the files' real times against the process clock: a clock moved ahead
                # (the tests also run a year ahead) would find every token expired at once.
                "max_sync_token_age": str(10 * 365 * 86400),
            },
            "server": {"delay_on_error": "0"},
            "web": {"type": "none"},
            "logging": {"level": "warning", "mask_passwords": "True"},
        },
        "jobcenter-planner embedded Radicale",
    )
    return configuration


def _calendar_id(name: str) -> str:
    """A URL-safe collection name for a calendar called ``name``."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")
    return slug or "kalender"


@dataclass
class RadicaleServer:
    """A running embedded Radicale; ``stop()`` ends it."""

    url: str
    storage_dir: Path
    users: dict[str, str]
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def calendar_url(self, user: str, name: str) -> str:
        """The URL of ``user``'s calendar called ``name`` (as ``create_calendar`` makes it)."""
        return f"{self.url}{user}/{_calendar_id(name)}/"

    def client(self, user: str, password: str) -> caldav.DAVClient:
        return caldav.DAVClient(url=f"{self.url}{user}/", username=user, password=password, timeout=30)

    def create_calendar(self, user: str, password: str, name: str) -> str:
        """Create ``user``'s calendar ``name`` (MKCALENDAR) unless it exists; return its URL."""
        url = self.calendar_url(user, name)
        with self.client(user, password) as client:
            try:
                client.principal().make_calendar(name=name, cal_id=_calendar_id(name))
            except caldav_error.MkcalendarError:
                # It may exist already (a restarted demo); anything else is a real error.
                client.calendar(url=url).get_display_name()
        return url

    def put_event(self, user: str, password: str, calendar_url: str, ics_text: str) -> str:
        """Store one iCalendar object in a calendar; returns its URL."""
        with self.client(user, password) as client:
            event = client.calendar(url=calendar_url).add_event(ics_text)
            return str(event.url)

    def stop(self) -> None:
        """Stop serving and wait for the server thread (idempotent)."""
        stop_server(self._server, self._thread)


def start_radicale(storage_dir: Path, users: dict[str, str], host: str = "127.0.0.1", port: int = 0) -> RadicaleServer:
    """Start Radicale for ``users`` (name -> password) with its data in ``storage_dir``.

    ``port`` 0 picks a free port; the server's ``url`` ends with a slash, and each user's
    calendars live under ``url + user + "/"``.
    """
    storage_dir.mkdir(parents=True, exist_ok=True)
    users_file = storage_dir / "users"
    users_file.write_text("".join(f"{user}:{password}\n" for user, password in users.items()), encoding="utf-8")
    users_file.chmod(0o600)
    logging.getLogger("radicale").setLevel(logging.WARNING)
    application = Application(radicale_configuration(storage_dir, users_file))
    server = create_server(application, host=host, port=port, threads=8, ident="radicale-embedded")
    thread = threading.Thread(target=server.run, name=f"radicale-{server.effective_port}", daemon=True)
    thread.start()
    url = f"http://{host}:{int(server.effective_port)}/"
    log.info("embedded Radicale serving on %s (data in %s)", url, storage_dir)
    return RadicaleServer(url=url, storage_dir=storage_dir, users=dict(users), _server=server, _thread=thread)
