"""Page tests: the services as a browser sees them, through the Flask test client and in
Debian's Chromium driven by Playwright (with axe-core for accessibility).

``browser_type_launch_args`` points pytest-playwright at ``/usr/bin/chromium`` (``playwright
install`` cannot download browsers here; ``.ci/run`` installs the Debian package). Without
it the browser tests skip, or fail under ``PLANNER_REQUIRE_SERVICES=1`` as in CI."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from waitress.server import create_server

from shared.timeutil import utcnow
from tests.auth.conftest import (  # noqa: F401 - fixtures
    MovableClock,
    browser_databases,
    build_browser_service,
    oidc_provider,
)

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("PLANNER_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    # The browser keeps the real clock when the tests run a year ahead under libfaketime:
    # Chromium under it starts in minutes, and what is tested is the server's clock.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    return {"executable_path": CHROMIUM, "args": ["--no-sandbox"], "env": env}


class LiveClock(MovableClock):
    """The real clock for a service a browser uses: starting Chromium may take longer than
    the tokens' leeway, which a clock frozen when the service was built would not allow."""

    def __call__(self) -> datetime:
        return utcnow()


@pytest.fixture
def serve() -> Iterator[Any]:
    """Factory: serve a WSGI app on a free loopback port in a thread; returns its base URL."""
    servers: list[Any] = []

    def start(app: Any) -> str:
        server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="planner-page-test")
        threading.Thread(target=server.run, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server in servers:
        server.close()
