"""Changing (rebooking) and removing (cancellation) a booked meeting's event on Radicale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import icalendar
import pytest
from celery import Celery

from services.calendar_sync.caldav_client import CalDAVCalendar, CalendarAccount
from services.calendar_sync.caldav_writes import current_etag
from services.calendar_sync.models import BookedMeeting
from services.demo.embedded_radicale import RadicaleServer
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import CPH, LOOPBACK_LIMITS, at
from tests.calendar_sync.http_proxy import HttpProxy, Seen, assert_reread_once
from tests.calendar_sync.test_sync import calendar
from tests.calendar_sync.test_write_back import DAY, cancel_meeting, events_on, meeting, setup_booking


def move_booking(context: ServiceContext, booking_id: str, hour: int) -> None:
    """What a rebooking leaves in the worker's record: the meeting at another time."""
    with context.db.transaction() as session:
        row = session.get(BookedMeeting, booking_id)
        assert row is not None
        payload = dict(row.payload)
        payload["start"], payload["end"] = at(DAY, hour).isoformat(), at(DAY, hour, 30).isoformat()
        row.payload = payload


def start_in_calendar(url: str) -> object:
    [text] = events_on(url, DAY)
    vevent = next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))
    return vevent.decoded("DTSTART").astimezone(CPH)


def test_a_changed_booking_is_written_over_its_event_with_if_match_and_redelivery_is_harmless(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    booking = setup_booking(context, url)
    href = celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()
    first_etag = meeting(context, booking.booking_id).etag
    assert first_etag

    move_booking(context, booking.booking_id, 13)
    update = celery_app.tasks["calendar_sync.update_booking"]
    assert update.delay(booking.booking_id).get() == href
    update.delay(booking.booking_id).get()  # redelivered

    assert start_in_calendar(url) == at(DAY, 13)
    row = meeting(context, booking.booking_id)
    assert row.etag and row.etag != first_etag and row.write_error is None


@pytest.fixture
def proxy(radicale: RadicaleServer) -> Iterator[HttpProxy]:
    """A recording proxy in front of Radicale (forwards everything)."""
    recorder = HttpProxy(radicale.url)
    try:
        yield recorder
    finally:
        recorder.close()


def on_the_wire(proxy: HttpProxy) -> list[Seen]:
    """The requests the proxy answered, without the unauthenticated first tries (401)."""
    return [seen for seen in proxy.seen if seen.status != 401]


def test_an_update_after_the_advisor_edited_the_event_rereads_the_etag_once(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str], proxy: HttpProxy
) -> None:
    url = new_calendar("anne")
    booking = setup_booking(context, proxy.url_for(url))  # the worker talks to Radicale through the proxy
    href = celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()
    stale = meeting(context, booking.booking_id).etag
    [event] = calendar(url).search(event=True)  # the advisor, straight on Radicale
    event.icalendar_component["SUMMARY"] = "Jobsamtale (rettet af rådgiveren)"
    event.save()  # the stored ETag is now out of date: the first PUT gets 412
    with CalDAVCalendar(CalendarAccount(url, "anne", USERS["anne"]), LOOPBACK_LIMITS) as direct:
        fresh = current_etag(direct, url + href.rsplit("/", 1)[-1])
    assert stale and fresh and fresh != stale
    proxy.seen.clear()

    move_booking(context, booking.booking_id, 14)
    assert celery_app.tasks["calendar_sync.update_booking"].delay(booking.booking_id).get() == href

    path = urlsplit(href).path
    written = assert_reread_once(on_the_wire(proxy), path, stale, fresh)
    assert start_in_calendar(url) == at(DAY, 14)
    row = meeting(context, booking.booking_id)
    assert row.write_error is None and row.etag == written.etag, "the ETag Radicale gave the write is kept"


def test_a_cancelled_booking_is_deleted_once_and_a_redelivery_finds_it_gone(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    booking = setup_booking(context, url)
    celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()
    assert len(events_on(url, DAY)) == 1
    delete = celery_app.tasks["calendar_sync.delete_booking"]
    cancel_meeting(context, booking)

    assert delete.delay(booking.booking_id).get() is True
    assert delete.delay(booking.booking_id).get() is False  # redelivered: 404, done

    assert events_on(url, DAY) == []
    row = meeting(context, booking.booking_id)
    assert row.written_at is None and row.write_error is None


def test_a_delete_after_the_advisor_edited_the_event_rereads_the_etag(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    booking = setup_booking(context, url)
    celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()
    [event] = calendar(url).search(event=True)
    event.icalendar_component["LOCATION"] = "Mødelokale 3"
    event.save()
    cancel_meeting(context, booking)

    assert celery_app.tasks["calendar_sync.delete_booking"].delay(booking.booking_id).get() is True
    assert events_on(url, DAY) == []


def test_a_delete_task_for_a_meeting_that_is_not_cancelled_leaves_the_event(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str]
) -> None:
    """A forged or stale ``delete_booking`` (anyone on the broker can send one) does not take
    an active meeting out of the advisor's calendar."""
    url = new_calendar("anne")
    booking = setup_booking(context, url)
    celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()

    assert celery_app.tasks["calendar_sync.delete_booking"].delay(booking.booking_id).get() is False
    assert len(events_on(url, DAY)) == 1
    assert meeting(context, booking.booking_id).written_at is not None
