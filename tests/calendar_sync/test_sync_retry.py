"""A calendar server that does not answer for a moment: the worker tries the read again
with backoff instead of leaving the advisor's times old until the next periodic sync."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from celery import Celery

from services.calendar_sync import consumer
from services.demo.embedded_radicale import RadicaleServer
from shared.service import ServiceContext
from shared.timeutil import utcnow
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import CPH, advisor_changed, at, event_ics, new_id, working_day_ahead
from tests.calendar_sync.test_sync import advisor, busy
from tests.conftest import free_port


class FlakyProxy:
    """Forwards every request to ``target``, but answers the first ``failures`` with 503."""

    def __init__(self, target: str, failures: int):
        self.target, self.failures, self.answered = target.rstrip("/"), failures, []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                if proxy.failures > 0:
                    proxy.failures -= 1
                    proxy.answered.append(503)
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                upstream = requests.request(
                    self.command, proxy.target + self.path, headers=headers, data=body, timeout=30
                )
                proxy.answered.append(upstream.status_code)
                self.send_response(upstream.status_code)
                for name, value in upstream.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_GET = do_PUT = do_DELETE = do_REPORT = do_PROPFIND = do_OPTIONS = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url_for(self, upstream_url: str) -> str:
        return f"http://127.0.0.1:{self.port}" + upstream_url.removeprefix(self.target)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky(radicale: RadicaleServer) -> Iterator[Callable[[int], FlakyProxy]]:
    proxies: list[FlakyProxy] = []

    def make(failures: int) -> FlakyProxy:
        proxies.append(FlakyProxy(radicale.url, failures))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


def test_a_read_the_server_did_not_answer_is_tried_again_and_succeeds(
    context: ServiceContext,
    celery_app: Celery,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    flaky: Callable[[int], FlakyProxy],
) -> None:
    day = working_day_ahead(utcnow().astimezone(CPH).date())
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(day, 10), at(day, 11)))
    proxy = flaky(2)
    advisor_id = new_id()
    keys = context.settings.secret_keys
    with context.db.transaction() as session:  # stored without its follow-up sync
        consumer.apply_advisor_changed(
            session, advisor_changed(advisor_id, caldav_url=proxy.url_for(url), secret_keys=keys)
        )

    result = celery_app.tasks["calendar_sync.sync_advisor"].delay(advisor_id)

    assert proxy.answered[:2] == [503, 503] and all(status < 500 for status in proxy.answered[2:])
    assert result.get()["ok"] is True  # Celery in eager mode runs the retries at once
    row = advisor(context, advisor_id)
    assert row.last_success_at is not None and row.last_error is None
    assert at(day, 10) in [i.start for i in busy(context, advisor_id)]


def test_a_server_that_stays_away_is_tried_three_more_times_and_staff_see_why(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str], flaky: Callable[[int], FlakyProxy]
) -> None:
    proxy = flaky(1000)
    advisor_id = new_id()
    keys = context.settings.secret_keys
    url = proxy.url_for(new_calendar("anne"))
    with context.db.transaction() as session:
        consumer.apply_advisor_changed(session, advisor_changed(advisor_id, caldav_url=url, secret_keys=keys))

    outcome = celery_app.tasks["calendar_sync.sync_advisor"].delay(advisor_id).get()

    assert outcome["ok"] is False and "503" in outcome["error"]
    attempts = len(proxy.answered)
    assert attempts == 4  # the first try and three retries, each stopped by its first 503
    row = advisor(context, advisor_id)
    assert row.last_success_at is None and row.last_error and "503" in row.last_error
