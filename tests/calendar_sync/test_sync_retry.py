"""A calendar server that does not answer for a moment: the worker tries the read again
with backoff instead of leaving the advisor's times old until the next periodic sync."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from celery import Celery

from services.calendar_sync import consumer
from services.demo.embedded_radicale import RadicaleServer
from shared.service import ServiceContext
from shared.timeutil import utcnow
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import CPH, advisor_changed, at, event_ics, new_id, working_day_ahead
from tests.calendar_sync.http_proxy import FlakyProxy
from tests.calendar_sync.test_sync import advisor, busy


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
