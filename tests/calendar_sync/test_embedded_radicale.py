"""The embedded Radicale server the demo and the tests use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import caldav
import pytest
from caldav.lib import error as dav_error

from services.demo.embedded_radicale import RadicaleServer
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import at, event_ics


def test_each_advisor_sees_only_their_own_calendars(
    radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    radicale.put_event(
        "anne", USERS["anne"], url, event_ics("private", at(date(2026, 12, 1), 9), at(date(2026, 12, 1), 10))
    )

    as_bo = caldav.DAVClient(url=url, username="bo", password=USERS["bo"]).calendar(url=url)
    with pytest.raises(dav_error.AuthorizationError):
        as_bo.search(event=True)
    wrong = caldav.DAVClient(url=url, username="anne", password="nope").calendar(url=url)
    with pytest.raises(dav_error.AuthorizationError):
        wrong.search(event=True)


def test_calendar_url_and_creating_twice(radicale: RadicaleServer) -> None:
    url = radicale.create_calendar("bo", USERS["bo"], "Bo's arbejde")
    assert url == radicale.calendar_url("bo", "Bo's arbejde") and url.startswith(radicale.url)
    assert radicale.create_calendar("bo", USERS["bo"], "Bo's arbejde") == url
