"""Servers that do not offer every REPORT (older Exchange gateways such as DavMail, minimal
WebDAV servers): the real Radicale behind a loopback proxy that refuses calendar-query
(and in some variants calendar-multiget) the way such servers do. The worker reads the
calendar by listing (PROPFIND depth 1 + calendar-multiget, else one GET per object),
remembers that per advisor, and still tells a refused login from an unsupported REPORT."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from services.calendar_sync.caldav_client import refused_as_unsupported
from services.calendar_sync.reading import CTAG, ETAG, ETAG_GET, SYNC_TOKEN, fetch_window
from services.calendar_sync.sync import sync_advisor, sync_window
from services.demo.embedded_radicale import RadicaleServer
from shared.intervals import Interval
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import LOOPBACK_LIMITS, at, event_ics
from tests.calendar_sync.http_proxy import HttpProxy, RefuseHook, refuse_reports
from tests.calendar_sync.test_incremental_sync import force
from tests.calendar_sync.test_sync import NOW, TUE, WED, add_advisor, advisor, busy, calendar, objects

SUPPORTED_REPORT = b'<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:supported-report/></D:error>'
SUPPORTED_FILTER = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:supported-filter/></D:error>'
)
NEED_PRIVILEGES = b'<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:need-privileges/></D:error>'


def both(*hooks: RefuseHook) -> RefuseHook:
    """The first refusal of ``hooks``."""
    return lambda method, body: next((r for hook in hooks if (r := hook(method, body)) is not None), None)


LIMITED = [
    pytest.param(refuse_reports("calendar-query"), ETAG, id="query-501"),
    pytest.param(refuse_reports("calendar-query", status=400), ETAG, id="query-400"),
    pytest.param(refuse_reports("calendar-query", status=405), ETAG, id="query-405"),
    pytest.param(refuse_reports("calendar-query", status=403, body=SUPPORTED_REPORT), ETAG, id="query-403-report"),
    pytest.param(refuse_reports("calendar-query", status=403, body=SUPPORTED_FILTER), ETAG, id="query-403-filter"),
    pytest.param(refuse_reports("calendar-query", "calendar-multiget"), ETAG_GET, id="query-multiget-501"),
    pytest.param(
        both(
            refuse_reports("calendar-query", status=415),
            refuse_reports("calendar-multiget", status=403, body=SUPPORTED_REPORT),
        ),
        ETAG_GET,
        id="query-415-multiget-403-report",
    ),
]


@pytest.fixture
def limited(radicale: RadicaleServer) -> Iterator[Callable[[RefuseHook | None], HttpProxy]]:
    """Factory: a proxy in front of Radicale that refuses what ``refuse`` says."""
    proxies: list[HttpProxy] = []

    def make(refuse: RefuseHook | None) -> HttpProxy:
        proxies.append(HttpProxy(radicale.url, refuse))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.close()


def reports(proxy: HttpProxy, name: str) -> int:
    """How many REPORTs of kind ``name`` the worker sent (answered or refused)."""
    return sum(1 for seen in proxy.seen if seen.method == "REPORT" and name.encode() in seen.body)


def fetched(proxy: HttpProxy) -> list[str]:
    """File names of the objects the server delivered: by calendar-multiget or GET."""
    names: list[str] = []
    for seen in proxy.seen:
        if seen.method == "REPORT" and b"calendar-multiget" in seen.body and seen.status == 207:
            names.extend(href.rsplit("/", 1)[-1] for href in seen.hrefs)
        elif seen.method == "GET" and seen.status == 200:
            names.append(seen.path.rsplit("/", 1)[-1])
    return sorted(names)


def hour(day_offset: int, start: int, end: int) -> Interval:
    day = TUE + timedelta(days=day_offset)
    return Interval(at(day, start), at(day, end))


TEAM = [hour(0, 9, 10), hour(7, 9, 10), hour(14, 9, 10)]  # weekly, three times, from Tuesday


@pytest.mark.parametrize(("refuse", "method"), LIMITED)
def test_a_server_without_calendar_query_is_read_by_listing_and_only_changes_are_fetched_again(
    refuse: RefuseHook,
    method: str,
    context: ServiceContext,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    limited: Callable[[RefuseHook | None], HttpProxy],
) -> None:
    url = new_calendar("anne")
    names = {
        uid: radicale.put_event("anne", USERS["anne"], url, ics).rsplit("/", 1)[-1]
        for uid, ics in (
            ("review", event_ics("review", at(WED, 10), at(WED, 11))),
            ("team", event_ics("team", at(TUE, 9), at(TUE, 10), "RRULE:FREQ=WEEKLY;COUNT=3\r\n")),
            ("doomed", event_ics("doomed", at(WED, 15), at(WED, 16))),
        )
    }
    proxy = limited(refuse)
    advisor_id = add_advisor(context, proxy.url_for(url))

    first = sync_advisor(context, advisor_id, NOW)

    assert first.ok and first.changed and first.error is None
    assert busy(context, advisor_id) == sorted([*TEAM, hour(1, 10, 11), hour(1, 15, 16)])
    assert advisor(context, advisor_id).sync_method == method
    assert reports(proxy, "calendar-query") == 1, "the query is tried once; refused, the calendar is listed"
    assert fetched(proxy) == sorted(names.values())

    moving = calendar(url).event_by_uid("review")
    moving.data = event_ics("review", at(WED, 13), at(WED, 14))
    moving.save()
    calendar(url).event_by_uid("doomed").delete()
    proxy.seen.clear()
    later = NOW + timedelta(minutes=5)

    second = sync_advisor(context, advisor_id, later)

    assert second.ok and second.changed and second.error is None
    assert busy(context, advisor_id) == sorted([*TEAM, hour(1, 13, 14)])
    assert fetched(proxy) == [names["review"]], "only the moved event is fetched; the unchanged one is not"
    assert reports(proxy, "calendar-query") == 0, "the remembered method goes straight to the listing"
    after = objects(context, advisor_id)
    assert set(after) == {"review", "team"} and after["team"].synced_at == NOW
    assert advisor(context, advisor_id).sync_method == method

    proxy.seen.clear()
    assert sync_advisor(context, advisor_id, later + timedelta(minutes=5)).changed is False
    assert fetched(proxy) == [] and reports(proxy, "calendar-query") == 0, "nothing changed: nothing is fetched"

    proxy.seen.clear()
    next_day = NOW + timedelta(days=1)  # the window moved: a full load, by listing at once
    third = sync_advisor(context, advisor_id, next_day)

    assert third.ok and third.error is None
    assert reports(proxy, "calendar-query") == 0
    assert fetched(proxy) == sorted([names["review"], names["team"]])
    window = sync_window(next_day, "Europe/Copenhagen", context.settings.availability_horizon_days)
    assert busy(context, advisor_id) == sorted(i for i in [*TEAM, hour(1, 13, 14)] if i.start >= window.start)
    assert advisor(context, advisor_id).sync_method == method


def test_a_server_with_calendar_query_is_still_read_with_one_report(
    context: ServiceContext,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    limited: Callable[[RefuseHook | None], HttpProxy],
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 10), at(WED, 11)))
    proxy = limited(None)
    advisor_id = add_advisor(context, proxy.url_for(url))

    assert sync_advisor(context, advisor_id, NOW).ok

    answered = [seen.method for seen in proxy.seen if seen.status != 401]  # 401: the first, unauthenticated try
    assert answered == ["PROPFIND", "REPORT"]
    assert reports(proxy, "calendar-query") == 1 and fetched(proxy) == []
    assert advisor(context, advisor_id).sync_method == SYNC_TOKEN
    assert busy(context, advisor_id) == [hour(1, 10, 11)]


@pytest.mark.parametrize("method", [SYNC_TOKEN, CTAG])
def test_without_calendar_multiget_the_changed_objects_are_fetched_one_by_one(
    method: str,
    context: ServiceContext,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    limited: Callable[[RefuseHook | None], HttpProxy],
) -> None:
    url = new_calendar("anne")
    radicale.put_event(
        "anne", USERS["anne"], url, event_ics("team", at(TUE, 9), at(TUE, 10), "RRULE:FREQ=WEEKLY;COUNT=3\r\n")
    )
    review = radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 10), at(WED, 11)))
    proxy = limited(refuse_reports("calendar-multiget"))
    advisor_id = add_advisor(context, proxy.url_for(url))
    assert sync_advisor(context, advisor_id, NOW).ok  # the query works: one REPORT
    assert advisor(context, advisor_id).sync_method == SYNC_TOKEN
    force(context, advisor_id, sync_method=method)
    moving = calendar(url).event_by_uid("review")
    moving.data = event_ics("review", at(WED, 13), at(WED, 14))
    moving.save()
    proxy.seen.clear()

    outcome = sync_advisor(context, advisor_id, NOW + timedelta(minutes=5))

    assert outcome.ok and outcome.changed and outcome.error is None
    assert busy(context, advisor_id) == sorted([*TEAM, hour(1, 13, 14)])
    assert fetched(proxy) == [review.rsplit("/", 1)[-1]], "the moved event, by GET"
    assert advisor(context, advisor_id).sync_method == method, "the query still works: the method stays"


def test_a_wrong_password_is_a_login_problem_not_an_unsupported_server(
    context: ServiceContext,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    limited: Callable[[RefuseHook | None], HttpProxy],
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 10), at(WED, 11)))
    proxy = limited(refuse_reports("calendar-query", "calendar-multiget"))
    advisor_id = add_advisor(context, proxy.url_for(url), password="not-the-password")

    outcome = sync_advisor(context, advisor_id, NOW)

    assert not outcome.ok and not outcome.transient
    assert outcome.error and "afviste login" in outcome.error
    assert 401 in proxy.answered and all(status == 401 for status in proxy.answered)
    assert fetched(proxy) == []
    row = advisor(context, advisor_id)
    assert row.sync_method is None and row.last_success_at is None and row.last_error == outcome.error


@pytest.mark.parametrize(
    ("status", "body", "transient"),
    [
        pytest.param(401, b"", False, id="401"),
        pytest.param(403, b"", False, id="403-bare"),
        pytest.param(403, NEED_PRIVILEGES, False, id="403-need-privileges"),
        pytest.param(404, b"", False, id="404"),
        pytest.param(500, b"", True, id="500"),
        pytest.param(502, b"", True, id="502"),
    ],
)
def test_a_refused_query_that_is_not_unsupported_is_not_read_another_way(
    status: int,
    body: bytes,
    transient: bool,
    context: ServiceContext,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    limited: Callable[[RefuseHook | None], HttpProxy],
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 10), at(WED, 11)))
    proxy = limited(refuse_reports("calendar-query", status=status, body=body))
    advisor_id = add_advisor(context, proxy.url_for(url))

    outcome = sync_advisor(context, advisor_id, NOW)

    assert not outcome.ok and outcome.transient is transient and outcome.error
    assert ("fejlede" in outcome.error) is transient, outcome.error
    propfinds = [seen for seen in proxy.seen if seen.method == "PROPFIND" and seen.status != 401]
    assert fetched(proxy) == [] and len(propfinds) == 1, "no listing: only the PROPFIND depth 0 before the query"
    assert advisor(context, advisor_id).sync_method is None


@pytest.mark.parametrize(
    ("status", "preconditions", "unsupported"),
    [
        (400, [], True),
        (405, [], True),
        (415, [], True),
        (501, [], True),
        (403, ["{DAV:}supported-report"], True),
        (403, ["{urn:ietf:params:xml:ns:caldav}supported-filter"], True),
        (401, [], False),
        (401, ["{DAV:}supported-report"], False),
        (403, [], False),
        (403, ["{DAV:}need-privileges"], False),
        (404, [], False),
        (500, [], False),
        (503, [], False),
        (None, [], False),
    ],
)
def test_which_refusals_mean_unsupported(status: int | None, preconditions: list[str], unsupported: bool) -> None:
    assert refused_as_unsupported(status, preconditions) is unsupported


def test_the_availability_command_reads_a_limited_server_too(
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
    limited: Callable[[RefuseHook | None], HttpProxy],
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 10), at(WED, 11)))
    proxy = limited(refuse_reports("calendar-query", "calendar-multiget"))

    found = fetch_window(
        proxy.url_for(url), "anne", USERS["anne"], Interval(at(TUE, 0), at(WED, 23)), limits=LOOPBACK_LIMITS
    )

    assert [obj.ics_text.count("UID:review") for obj in found] == [1]
    assert reports(proxy, "calendar-query") == 1 and len(fetched(proxy)) == 1
