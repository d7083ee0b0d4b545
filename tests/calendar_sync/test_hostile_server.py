"""A calendar server that is not on our side: it names hrefs on other hosts, redirects
elsewhere, resolves to an internal address at connect time, sends huge answers, trickles
its answer a byte at a time, or puts secrets in its error bodies. The worker fetches only
the calendar's own objects, sends the advisor's password to no other host, cuts answers
off at their cap and requests at their deadline, and staff never see what the server said.

Each server here is a scripted one on loopback (``scripted_server``); the "internal host"
is a second one that records whether anything reached it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import repeat

import pytest

from services.calendar_sync.caldav_client import CalDAVCalendar, CalendarAccessRefused, CalendarAccount
from services.calendar_sync.caldav_http import RequestLimits
from services.calendar_sync.caldav_incremental import get_object
from services.calendar_sync.sync import sync_advisor
from shared.errors import UpstreamUnavailable
from shared.intervals import Interval
from shared.network_policy import allow_list
from shared.service import ServiceContext
from tests.calendar_sync.factories import LOOPBACK_LIMITS, at, event_ics
from tests.calendar_sync.scripted_server import ICS, XML, Answer, Request, Script, ScriptedServer, etag_listing
from tests.calendar_sync.test_sync import NOW, WED, add_advisor, advisor, busy

SECRET = b"AKIA-internal-credentials-do-not-show"
GOOD = event_ics("good@example.org", at(WED, 10), at(WED, 11)).encode()


@pytest.fixture
def servers() -> Iterator[Callable[[Script], ScriptedServer]]:
    made: list[ScriptedServer] = []

    def make(script: Script) -> ScriptedServer:
        made.append(ScriptedServer(script))
        return made[-1]

    yield make
    for server in made:
        server.close()


def internal_host(request: Request) -> Answer:
    """What a metadata service or an intranet host would answer, if it were ever asked."""
    return Answer(200, SECRET, {"Content-Type": "text/calendar"})


def limited_server(listing: dict[str, str], objects: dict[str, Answer]) -> Script:
    """A server without calendar-query and calendar-multiget: it is read by PROPFIND depth 1
    (``listing``: href -> ETag) and one GET per object (``objects``: path -> answer)."""

    def script(request: Request) -> Answer:
        if request.method == "PROPFIND" and request.depth == "1":
            return Answer(207, etag_listing(listing), XML)
        if request.method == "PROPFIND":
            return Answer(207, b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"/>', XML)
        if request.method == "REPORT":
            return Answer(501)
        if request.method == "GET" and request.path in objects:
            return objects[request.path]
        return Answer(404)

    return script


def good_object() -> Answer:
    return Answer(200, GOOD, {**ICS, "ETag": '"g1"'})


def test_an_href_on_another_host_is_never_fetched_with_the_advisors_password(
    context: ServiceContext, servers: Callable[[Script], ScriptedServer]
) -> None:
    internal = servers(internal_host)
    hostile = servers(
        limited_server(
            {"/cal/good.ics": '"g1"', f"{internal.url}/latest/meta-data/iam": '"x"', "/other/": '"y"'},
            {"/cal/good.ics": good_object()},
        )
    )
    advisor_id = add_advisor(context, f"{hostile.url}/cal/")

    outcome = sync_advisor(context, advisor_id, NOW)

    assert internal.seen == []  # not asked at all, with or without credentials
    assert [r.path for r in hostile.requests("GET")] == ["/cal/good.ics"]  # nor another path of the server
    assert outcome.ok and busy(context, advisor_id) == [Interval(at(WED, 10), at(WED, 11))]


def test_a_redirect_to_another_host_is_not_followed(
    context: ServiceContext, servers: Callable[[Script], ScriptedServer]
) -> None:
    internal = servers(internal_host)
    hostile = servers(
        limited_server(
            {"/cal/good.ics": '"g1"'},
            {"/cal/good.ics": Answer(302, headers={"Location": f"{internal.url}/latest/meta-data/iam"})},
        )
    )
    advisor_id = add_advisor(context, f"{hostile.url}/cal/")

    outcome = sync_advisor(context, advisor_id, NOW)

    assert internal.seen == []
    error = advisor(context, advisor_id).last_error or ""
    assert not outcome.ok and "henvisning til en anden server" in error
    assert SECRET.decode() not in error and internal.url not in error


def test_a_redirect_within_the_calendar_server_is_followed(
    context: ServiceContext, servers: Callable[[Script], ScriptedServer]
) -> None:
    hostile = servers(
        limited_server(
            {"/cal/moved.ics": '"g1"'},
            {"/cal/moved.ics": Answer(301, headers={"Location": "/cal/good.ics"}), "/cal/good.ics": good_object()},
        )
    )
    advisor_id = add_advisor(context, f"{hostile.url}/cal/")

    assert sync_advisor(context, advisor_id, NOW).ok
    assert busy(context, advisor_id) == [Interval(at(WED, 10), at(WED, 11))]


def test_a_name_that_resolves_to_an_internal_address_at_connect_time_gets_no_request(
    servers: Callable[[Script], ScriptedServer],
) -> None:
    """DNS rebinding: the URL was checked when it was saved (the name was public then); the
    connection now goes to loopback. The peer is checked before the request is sent."""
    internal = servers(internal_host)
    rebound = "in-memory://default/?hosts=kalender.example:127.0.0.1"
    account = CalendarAccount(f"http://kalender.example:{internal.port}/cal/", "anne", "anne-secret")

    with (
        CalDAVCalendar(account, RequestLimits(timeout=5, resolver=rebound)) as calendar,
        pytest.raises(CalendarAccessRefused, match="intern adresse"),
    ):
        get_object(calendar, f"http://kalender.example:{internal.port}/cal/x.ics")
    assert internal.seen == []

    admitted = RequestLimits(timeout=5, resolver=rebound, allow=allow_list("127.0.0.1"))
    with CalDAVCalendar(account, admitted) as calendar:  # IT admitted the address: it is read
        assert get_object(calendar, f"http://kalender.example:{internal.port}/cal/x.ics") is not None
    assert [r.path for r in internal.seen] == ["/cal/x.ics"]


def test_an_href_outside_the_calendar_is_refused_by_name_not_fetched(
    servers: Callable[[Script], ScriptedServer],
) -> None:
    server = servers(internal_host)
    account = CalendarAccount(f"{server.url}/cal/anne/", "anne", "anne-secret")
    with CalDAVCalendar(account, LOOPBACK_LIMITS) as calendar:
        for outside in (f"{server.url}/cal/bob/x.ics", f"{server.url}/cal/anne/../bob/x.ics", "http://10.0.0.1/x"):
            with pytest.raises(CalendarAccessRefused, match="uden for kalenderen"):
                get_object(calendar, outside)
    assert server.seen == []


def test_an_answer_larger_than_the_cap_is_cut_off(servers: Callable[[Script], ScriptedServer]) -> None:
    endless = Answer(200, pieces=repeat(b"BEGIN:VCALENDAR\r\n" * 4096, 2000), headers=ICS)  # 136 MB, no length
    declared = Answer(200, b"x" * 300_000, ICS)
    server = servers(lambda r: endless if r.path.endswith("endless.ics") else declared)
    limits = RequestLimits(timeout=5, max_response_bytes=256 * 1024, allow=allow_list("127.0.0.1"))
    with CalDAVCalendar(CalendarAccount(f"{server.url}/cal/", "anne", "pw"), limits) as calendar:
        for name in ("endless.ics", "declared.ics"):
            with pytest.raises(CalendarAccessRefused, match="svaret er for stort"):
                get_object(calendar, f"{server.url}/cal/{name}")


def test_a_server_that_trickles_is_cut_off_at_the_deadline(servers: Callable[[Script], ScriptedServer]) -> None:
    """Each byte comes well within the read timeout, so only a deadline for the whole
    request ends it: in the body, and in the headers. (The trickle stops after some seconds,
    so without a deadline the request would succeed, late.)"""
    body = Answer(200, pieces=[b"B"] * 60, pause=0.1, headers=ICS)
    head = Answer(200, GOOD, ICS, head_pause=0.1)
    server = servers(lambda r: body if r.path.endswith("body.ics") else head)
    limits = RequestLimits(timeout=5, deadline=0.5, allow=allow_list("127.0.0.1"))
    for name in ("body.ics", "head.ics"):
        with (
            CalDAVCalendar(CalendarAccount(f"{server.url}/cal/", "anne", "pw"), limits) as calendar,
            pytest.raises(UpstreamUnavailable, match="svarede ikke i tide"),
        ):
            get_object(calendar, f"{server.url}/cal/{name}")


def test_no_request_starts_after_the_syncs_deadline(servers: Callable[[Script], ScriptedServer]) -> None:
    server = servers(lambda r: good_object())
    ticks = iter([1.0, 100.0])  # the first request; the second, past the sync's deadline
    limits = RequestLimits(timeout=5, session_deadline=10, allow=allow_list("127.0.0.1"))
    calendar = CalDAVCalendar(CalendarAccount(f"{server.url}/cal/", "anne", "pw"), limits)
    calendar.client.session.clock = lambda: next(ticks)
    calendar.client.session.ends_at = 10.0
    with calendar:
        assert get_object(calendar, f"{server.url}/cal/a.ics") is not None
        with pytest.raises(UpstreamUnavailable, match="svarede ikke i tide"):
            get_object(calendar, f"{server.url}/cal/b.ics")
    assert len(server.seen) == 1


def test_what_the_server_says_in_an_error_is_not_shown_to_staff(
    context: ServiceContext, servers: Callable[[Script], ScriptedServer]
) -> None:
    def script(request: Request) -> Answer:
        if request.method == "REPORT":
            return Answer(409, b"<error>" + SECRET + b"</error>", XML)
        return Answer(207, b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"/>', XML)

    server = servers(script)
    advisor_id = add_advisor(context, f"{server.url}/cal/")

    outcome = sync_advisor(context, advisor_id, NOW)

    error = advisor(context, advisor_id).last_error or ""
    assert not outcome.ok and "HTTP 409" in error and SECRET.decode() not in error
