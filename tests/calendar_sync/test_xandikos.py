"""The worker's read and write paths against a second real server: Xandikos.

Radicale is the server every other calendar-sync test uses; the spec wants the worker
to cope with other servers too. Xandikos runs here as a subprocess without
authentication (the advisors have no CalDAV username or password). It offers RFC 6578
sync tokens and a CTag, so the worker settles on ``sync-token``; the CTag and query
fallbacks are forced and proven as well. Writes use If-None-Match: * / If-Match.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
import requests
from celery import Celery

from services.calendar_sync import reading
from services.calendar_sync.caldav_client import CalDAVCalendar, CalendarAccount, RemoteObject
from services.calendar_sync.caldav_incremental import multiget
from services.calendar_sync.caldav_writes import current_etag, delete_event, update_event
from services.calendar_sync.consumer import apply_advisor_changed, apply_booking_created
from services.calendar_sync.meeting_event import meeting_event
from services.calendar_sync.models import BookedMeeting
from services.calendar_sync.reading import CTAG, QUERY, SYNC_TOKEN
from services.calendar_sync.sync import sync_advisor
from shared import events as ev
from shared.events import BookingPayload
from shared.intervals import Interval
from shared.service import ServiceContext
from shared.timeutil import utcnow
from tests.calendar_sync.factories import (
    CPH,
    LOOPBACK_LIMITS,
    advisor_changed,
    at,
    booking_payload,
    event_ics,
    new_id,
    vcalendar,
    vevent,
)
from tests.calendar_sync.http_proxy import HttpProxy, assert_reread_once
from tests.calendar_sync.test_incremental_sync import force
from tests.calendar_sync.test_sync import NOW, TUE, WED, advisor, busy, objects
from tests.calendar_sync.test_write_back import DAY, cancel_meeting, meeting
from tests.calendar_sync.test_write_back_changes import move_booking
from tests.calendar_sync.xandikos_server import XandikosNotStarted, XandikosServer, start_xandikos


@pytest.fixture(scope="session")
def xandikos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XandikosServer]:
    """One Xandikos for the session; a start failure errors every test (it is a declared dependency)."""
    try:
        server = start_xandikos(tmp_path_factory.mktemp("xandikos"))
    except XandikosNotStarted as exc:  # never a skip: xandikos is in the test extra
        pytest.fail(f"Xandikos (a declared test dependency) could not be started: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def xcal(xandikos: XandikosServer) -> str:
    """A fresh, empty Xandikos calendar; its URL."""
    return xandikos.create_calendar()


def add_advisor(context: ServiceContext, url: str) -> str:
    """An advisor whose calendar needs no login."""
    advisor_id = new_id()
    envelope = advisor_changed(
        advisor_id, caldav_url=url, username=None, password=None, secret_keys=context.settings.secret_keys
    )
    with context.db.transaction() as session:
        apply_advisor_changed(session, envelope)
    return advisor_id


def open_calendar(url: str) -> CalDAVCalendar:
    return CalDAVCalendar(CalendarAccount(url, None, None), LOOPBACK_LIMITS)


def vevents_on(url: str) -> list[icalendar.cal.Component]:
    with open_calendar(url) as cal:
        found = cal.fetch_events(at(DAY, 0), at(DAY + timedelta(days=1), 0))
    return [next(iter(icalendar.Calendar.from_ical(obj.ics_text).walk("VEVENT"))) for obj in found]


# --- reading -------------------------------------------------------------------------


def test_a_first_load_puts_plain_and_weekly_events_into_the_cache_and_picks_sync_tokens(
    context: ServiceContext, xandikos: XandikosServer, xcal: str
) -> None:
    xandikos.put(xcal, "review", event_ics("review", at(WED, 10), at(WED, 11, 30)))
    xandikos.put(xcal, "team", event_ics("team", at(TUE, 9), at(TUE, 10), "RRULE:FREQ=WEEKLY;COUNT=3\r\n"))
    advisor_id = add_advisor(context, xcal)

    outcome = sync_advisor(context, advisor_id, NOW)

    assert outcome.ok and outcome.changed and outcome.error is None
    assert set(objects(context, advisor_id)) == {"review", "team"}
    assert busy(context, advisor_id) == [
        Interval(at(TUE, 9), at(TUE, 10)),
        Interval(at(WED, 10), at(WED, 11, 30)),
        Interval(at(TUE + timedelta(days=7), 9), at(TUE + timedelta(days=7), 10)),
        Interval(at(TUE + timedelta(days=14), 9), at(TUE + timedelta(days=14), 10)),
    ]
    state = advisor(context, advisor_id)
    assert state.sync_method == SYNC_TOKEN and state.sync_token and state.ctag
    assert state.last_error is None


def test_the_server_side_time_range_finds_long_running_series_and_moved_occurrences(
    context: ServiceContext, xandikos: XandikosServer, xcal: str
) -> None:
    """The worker leaves the time-range filter to the server (no expansion there): Xandikos
    must match a weekly series begun long ago, and a series whose moved occurrence falls in the window."""
    old = date(2025, 1, 7)  # a Tuesday
    xandikos.put(xcal, "weekly", event_ics("weekly", at(old, 9), at(old, 10), "RRULE:FREQ=WEEKLY\r\n"))
    xandikos.put(xcal, "ended", event_ics("ended", at(old, 9), at(old, 10), "RRULE:FREQ=WEEKLY;COUNT=5\r\n"))
    xandikos.put(xcal, "long-ago", event_ics("long-ago", at(old, 13), at(old, 14)))
    series = vevent("moved", at(old, 11), at(old, 12), "RRULE:FREQ=WEEKLY;COUNT=2\r\n")
    moved = vevent("moved", at(WED, 13), at(WED, 14), "RECURRENCE-ID;TZID=Europe/Copenhagen:20250114T110000\r\n")
    xandikos.put(xcal, "moved", vcalendar(series, moved))
    advisor_id = add_advisor(context, xcal)

    assert sync_advisor(context, advisor_id, NOW).ok

    assert set(objects(context, advisor_id)) == {"weekly", "moved"}
    intervals = busy(context, advisor_id)
    assert Interval(at(WED, 13), at(WED, 14)) in intervals
    next_tue = TUE + timedelta(days=7)
    assert Interval(at(TUE, 9), at(TUE, 10)) in intervals and Interval(at(next_tue, 9), at(next_tue, 10)) in intervals


def three_events_then_edit(context: ServiceContext, xandikos: XandikosServer, url: str) -> str:
    """First load of three events; then one is added, one moved, one deleted."""
    for uid, hour in (("steady", 8), ("moving", 10), ("doomed", 14)):
        xandikos.put(url, uid, event_ics(uid, at(WED, hour), at(WED, hour + 1)))
    advisor_id = add_advisor(context, url)
    assert sync_advisor(context, advisor_id, NOW).ok
    assert set(objects(context, advisor_id)) == {"steady", "moving", "doomed"}

    xandikos.put(url, "added", event_ics("added", at(WED, 16), at(WED, 17)))
    xandikos.put(url, "moving", event_ics("moving", at(WED, 11), at(WED, 12)))
    xandikos.delete(url, "doomed")
    return advisor_id


EXPECTED = [
    Interval(at(WED, 8), at(WED, 9)),
    Interval(at(WED, 11), at(WED, 12)),
    Interval(at(WED, 16), at(WED, 17)),
]


@pytest.mark.parametrize("method", [SYNC_TOKEN, CTAG, QUERY])
def test_an_incremental_sync_moves_the_changed_event_and_drops_the_deleted_one(
    method: str, context: ServiceContext, xandikos: XandikosServer, xcal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    advisor_id = three_events_then_edit(context, xandikos, xcal)
    assert advisor(context, advisor_id).sync_method == SYNC_TOKEN  # what the worker chose for Xandikos
    force(context, advisor_id, sync_method=method)
    later = NOW + timedelta(minutes=5)
    fetched: list[str] = []

    def spying_multiget(calendar: CalDAVCalendar, hrefs: list[str]) -> list[RemoteObject]:
        fetched.extend(h.rsplit("/", 1)[-1] for h in hrefs)
        return multiget(calendar, hrefs)

    monkeypatch.setattr(reading, "multiget", spying_multiget)

    outcome = sync_advisor(context, advisor_id, later)

    after = objects(context, advisor_id)
    assert outcome.ok and outcome.changed and outcome.error is None
    assert set(after) == {"steady", "moving", "added"}, "the deleted event is gone"
    assert after["steady"].synced_at == NOW, "the unchanged object is not read (expanded) again"
    assert after["moving"].synced_at == later and after["added"].synced_at == later
    assert busy(context, advisor_id) == EXPECTED
    assert advisor(context, advisor_id).sync_method == method
    # sync-token and CTag fetch exactly the added and changed objects; the query reads the window
    assert sorted(fetched) == ([] if method == QUERY else ["added.ics", "moving.ics"])
    fetched.clear()
    assert sync_advisor(context, advisor_id, later + timedelta(minutes=5)).changed is False
    assert fetched == [], "nothing changed: nothing is fetched"


def test_a_sync_token_xandikos_does_not_know_means_a_full_resync(
    context: ServiceContext, xandikos: XandikosServer, xcal: str
) -> None:
    advisor_id = three_events_then_edit(context, xandikos, xcal)
    force(context, advisor_id, sync_token="0" * 40)
    later = NOW + timedelta(minutes=5)

    outcome = sync_advisor(context, advisor_id, later)

    state = advisor(context, advisor_id)
    assert outcome.ok and outcome.changed and state.last_error is None
    assert busy(context, advisor_id) == EXPECTED
    assert state.sync_method == SYNC_TOKEN and state.sync_token and state.sync_token != "0" * 40


# --- writing -------------------------------------------------------------------------


def setup_booking(context: ServiceContext, url: str) -> BookingPayload:
    advisor_id = add_advisor(context, url)
    booking = booking_payload(advisor_id, new_id(), at(DAY, 8), minutes=30, reporting=15)
    with context.db.transaction() as session:
        apply_booking_created(session, booking.envelope(ev.BOOKING_CREATED))
    return booking


@pytest.fixture
def written(context: ServiceContext, celery_app: Celery, xcal: str) -> tuple[str, BookingPayload, str]:
    """A booking whose meeting was written into a fresh Xandikos calendar: (url, booking, href)."""
    booking = setup_booking(context, xcal)
    href = celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()
    assert href
    return xcal, booking, href


def test_a_booked_meeting_is_created_once_and_a_second_create_is_a_no_op(
    context: ServiceContext, celery_app: Celery, written: tuple[str, BookingPayload, str]
) -> None:
    url, booking, href = written
    [vevent] = vevents_on(url)
    assert str(vevent["UID"]) == f"booking-{booking.booking_id}@jobcenter-planner"
    assert vevent.decoded("DTSTART").astimezone(CPH) == at(DAY, 8)
    row = meeting(context, booking.booking_id)
    assert row.calendar_href == href and row.etag and row.write_error is None

    with open_calendar(url) as cal:  # the same create again: If-None-Match: * -> 412, counted as done
        again = cal.put_event(f"booking-{booking.booking_id}@jobcenter-planner", requests.get(href, timeout=5).text)
    assert again == (href, None)
    with context.db.transaction() as session:  # the worker lost its note of the write
        lost = session.get(BookedMeeting, booking.booking_id)
        assert lost is not None
        lost.written_at = None
    assert celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get() == href

    assert len(vevents_on(url)) == 1
    assert meeting(context, booking.booking_id).written_at is not None


def test_an_update_with_if_match_moves_the_event_and_a_redelivery_is_harmless(
    context: ServiceContext, celery_app: Celery, written: tuple[str, BookingPayload, str]
) -> None:
    url, booking, href = written
    first_etag = meeting(context, booking.booking_id).etag

    move_booking(context, booking.booking_id, 13)
    update = celery_app.tasks["calendar_sync.update_booking"]
    assert update.delay(booking.booking_id).get() == href
    assert update.delay(booking.booking_id).get() == href  # redelivered: If-Match with the new ETag

    [vevent] = vevents_on(url)
    assert vevent.decoded("DTSTART").astimezone(CPH) == at(DAY, 13)
    row = meeting(context, booking.booking_id)
    assert row.etag and row.etag != first_etag and row.write_error is None
    with open_calendar(url) as cal:
        assert current_etag(cal, href) == row.etag, "the stored ETag is the one Xandikos has"


@pytest.fixture
def xproxy(xandikos: XandikosServer) -> Iterator[HttpProxy]:
    """A recording proxy in front of Xandikos (forwards everything)."""
    proxy = HttpProxy(xandikos.url)
    try:
        yield proxy
    finally:
        proxy.close()


def test_a_stale_etag_gets_412_and_the_update_rereads_it_once(
    context: ServiceContext, written: tuple[str, BookingPayload, str], xproxy: HttpProxy
) -> None:
    url, booking, href = written
    stale = meeting(context, booking.booking_id).etag
    edited = requests.get(href, timeout=5).text.replace("SUMMARY:Jobsamtale", "SUMMARY:Jobsamtale (rettet)")
    edit = requests.put(href, data=edited.encode(), headers={"Content-Type": "text/calendar"}, timeout=5)
    fresh = edit.headers.get("ETag")  # the advisor's edit, straight on Xandikos: the stored ETag is stale
    assert edit.ok and stale and fresh and fresh != stale
    moved = BookingPayload.model_validate(meeting(context, booking.booking_id).payload)
    moved = moved.model_copy(update={"start": at(DAY, 14), "end": at(DAY, 14, 30)})

    with open_calendar(xproxy.url_for(url)) as cal:
        new_etag = update_event(cal, xproxy.url_for(href), meeting_event(moved, stamp=utcnow()), stale)

    path = urlsplit(href).path
    rewritten = assert_reread_once(xproxy.seen, path, stale, fresh)
    [vevent] = vevents_on(url)
    assert vevent.decoded("DTSTART").astimezone(CPH) == at(DAY, 14)
    assert new_etag == rewritten.etag, "the ETag Xandikos gave the write is returned"


def test_an_update_after_the_advisor_edited_the_event_rereads_the_etag(
    context: ServiceContext, celery_app: Celery, written: tuple[str, BookingPayload, str]
) -> None:
    url, booking, href = written
    edited = requests.get(href, timeout=5).text.replace("SUMMARY:Jobsamtale", "SUMMARY:Jobsamtale (rettet)")
    assert requests.put(href, data=edited.encode(), headers={"Content-Type": "text/calendar"}, timeout=5).ok

    move_booking(context, booking.booking_id, 14)
    assert celery_app.tasks["calendar_sync.update_booking"].delay(booking.booking_id).get() == href

    [vevent] = vevents_on(url)
    assert vevent.decoded("DTSTART").astimezone(CPH) == at(DAY, 14)
    assert meeting(context, booking.booking_id).write_error is None


def test_a_delete_with_if_match_removes_the_event_and_a_redelivery_finds_it_gone(
    context: ServiceContext, celery_app: Celery, written: tuple[str, BookingPayload, str]
) -> None:
    url, booking, href = written
    with open_calendar(url) as cal:  # a stale ETag is refused, the event stays
        assert cal.client.delete(href, {"If-Match": '"stale"'}).status == 412
    assert len(vevents_on(url)) == 1
    delete = celery_app.tasks["calendar_sync.delete_booking"]
    cancel_meeting(context, booking)

    assert delete.delay(booking.booking_id).get() is True
    assert delete.delay(booking.booking_id).get() is False  # redelivered: gone, done

    assert vevents_on(url) == []
    row = meeting(context, booking.booking_id)
    assert row.written_at is None and row.write_error is None
    with open_calendar(url) as cal:
        assert delete_event(cal, href, '"stale"') is False


def test_a_delete_after_the_advisor_edited_the_event_rereads_the_etag(
    context: ServiceContext, celery_app: Celery, written: tuple[str, BookingPayload, str]
) -> None:
    url, booking, href = written
    edited = requests.get(href, timeout=5).text.replace("SUMMARY:Jobsamtale", "SUMMARY:Jobsamtale (flyttet)")
    assert requests.put(href, data=edited.encode(), headers={"Content-Type": "text/calendar"}, timeout=5).ok
    cancel_meeting(context, booking)

    assert celery_app.tasks["calendar_sync.delete_booking"].delay(booking.booking_id).get() is True
    assert vevents_on(url) == []


def test_the_written_meeting_is_read_back_but_counts_from_the_bookings_not_the_calendar(
    context: ServiceContext, written: tuple[str, BookingPayload, str]
) -> None:
    _url, booking, _href = written
    assert sync_advisor(context, booking.advisor_id, NOW).ok
    assert set(objects(context, booking.advisor_id)) == {f"booking-{booking.booking_id}@jobcenter-planner"}
    assert busy(context, booking.advisor_id) == []  # our own UID: the booking table counts it, not the copy


def test_an_update_of_an_event_the_advisor_deleted_writes_it_again(
    context: ServiceContext, celery_app: Celery, written: tuple[str, BookingPayload, str]
) -> None:
    url, booking, href = written
    assert requests.delete(href, timeout=5).ok
    with open_calendar(url) as cal:  # Xandikos answers this PROPFIND with 207 holding a 404
        assert current_etag(cal, href) is None

    move_booking(context, booking.booking_id, 9)
    assert celery_app.tasks["calendar_sync.update_booking"].delay(booking.booking_id).get() == href

    [vevent] = vevents_on(url)
    assert vevent.decoded("DTSTART").astimezone(CPH) == at(DAY, 9)
    row = meeting(context, booking.booking_id)
    assert row.write_error is None
    with open_calendar(url) as cal:
        assert current_etag(cal, href) == row.etag


def test_a_delete_of_an_event_the_advisor_deleted_is_done(
    context: ServiceContext, celery_app: Celery, written: tuple[str, BookingPayload, str]
) -> None:
    _url, booking, href = written
    assert requests.delete(href, timeout=5).ok
    cancel_meeting(context, booking)

    assert celery_app.tasks["calendar_sync.delete_booking"].delay(booking.booking_id).get() is False
    assert meeting(context, booking.booking_id).write_error is None
