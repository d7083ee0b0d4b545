"""Booked meetings written into the advisor's own calendar on Radicale (B-5)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import caldav
import icalendar
from celery import Celery

from services.calendar_sync.consumer import apply_advisor_changed, apply_booking_cancelled, apply_booking_created
from services.calendar_sync.models import BookedMeeting
from shared import events as ev
from shared.errors import UpstreamUnavailable
from shared.events import BookingPayload
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import CPH, advisor_changed, at, booking_payload, new_id
from tests.calendar_sync.test_sync import NOW
from tests.conftest import free_port

DAY = NOW.date() + timedelta(days=1)
"""The day of the booked meeting, a Wednesday: the day after the tests' fixed clock ``NOW``, so
a test that syncs at ``NOW`` finds the meeting inside the sync window on any real date."""

CPR = "010203-1234"
"""A made-up CPR number."""


def setup_booking(
    context: ServiceContext, caldav_url: str, password: str = USERS["anne"], **overrides: Any
) -> BookingPayload:
    """A booking on ``DAY`` 08:00-08:30 (15 minutes of reporting time) of a new advisor whose
    calendar is ``caldav_url``; ``overrides`` change fields of the booking payload."""
    advisor_id = new_id()
    fields: dict[str, Any] = {"booking_id": "7f3c2a9e-booking", "reference": "BK-7QX2", **overrides}
    booking = booking_payload(advisor_id, new_id(), at(DAY, 8), minutes=30, reporting=15, **fields)
    with context.db.transaction() as session:
        apply_advisor_changed(
            session,
            advisor_changed(
                advisor_id, caldav_url=caldav_url, password=password, secret_keys=context.settings.secret_keys
            ),
        )
        apply_booking_created(session, booking.envelope(ev.BOOKING_CREATED))
    return booking


def cancel_meeting(context: ServiceContext, booking: BookingPayload) -> None:
    """``booking.cancelled`` applied as the worker's consumer applies it (the meeting is no
    busy time any more, and only now may its event be deleted)."""
    cancelled = ev.BookingCancelledPayload(
        booking_id=booking.booking_id, offer_id=booking.offer_id, advisor_id=booking.advisor_id, cancelled_at=NOW
    )
    with context.db.transaction() as session:
        apply_booking_cancelled(session, cancelled.envelope(ev.BOOKING_CANCELLED))


def meeting(context: ServiceContext, booking_id: str) -> BookedMeeting:
    with context.db.transaction() as session:
        row = session.get(BookedMeeting, booking_id)
        assert row is not None
        return row


def events_on(url: str, day: date) -> list[str]:
    client = caldav.DAVClient(url=url, username="anne", password=USERS["anne"])
    found = client.calendar(url=url).search(
        start=at(day, 0), end=at(day + timedelta(days=1), 0), event=True, expand=False
    )
    return [str(obj.data) for obj in found]


def test_the_meeting_appears_in_the_calendar_once_without_any_cpr_number(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    # staff typed the citizen's CPR number into a one-off offer's name and place (free text)
    booking = setup_booking(
        context, url, offer_name=f"Opfølgning {CPR}", place=f"Torvet 1, 9999 Demokøbing ({CPR.replace('-', '')})"
    )
    write = celery_app.tasks["calendar_sync.write_booking"]

    href = write.delay(booking.booking_id).get()

    [text] = events_on(url, DAY)
    vevent = next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))
    assert str(vevent["UID"]) == f"booking-{booking.booking_id}@jobcenter-planner"
    assert vevent.decoded("DTSTART").astimezone(CPH) == at(DAY, 8)
    assert vevent.decoded("DTEND").astimezone(CPH) == at(DAY, 8, 30)
    assert str(vevent["SUMMARY"]).startswith("Opfølgning ")
    assert str(vevent["LOCATION"]).startswith("Torvet 1, 9999 Demokøbing ")
    description = str(vevent["DESCRIPTION"])
    assert "Personligt fremmøde" in description and "Torvet 1" in description and "BK-7QX2" in description
    assert str(vevent["TRANSP"]) == "OPAQUE"
    unfolded = re.sub(r"\r?\n[ \t]", "", text)  # iCalendar folds long lines; a fold may split a number
    assert CPR not in unfolded and CPR.replace("-", "") not in unfolded, "staff's CPR never reaches the calendar"
    assert not re.search(r"\d{10}", unfolded.replace("-", "")), "no CPR number (or anything like it) in the calendar"
    row = meeting(context, booking.booking_id)
    assert row.written_at is not None and row.calendar_href == href and row.write_error is None

    write.delay(booking.booking_id).get()  # a redelivered task
    with context.db.transaction() as session:  # the worker lost its note of the write: If-None-Match decides
        lost = session.get(BookedMeeting, booking.booking_id)
        assert lost is not None
        lost.written_at = None
    write.delay(booking.booking_id).get()

    assert len(events_on(url, DAY)) == 1
    assert meeting(context, booking.booking_id).written_at is not None


def test_an_unreachable_calendar_is_retried_then_the_failure_is_recorded(
    context: ServiceContext, celery_app: Celery
) -> None:
    booking = setup_booking(context, f"http://127.0.0.1:{free_port()}/anne/work/")

    result = celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id)

    assert result.failed() and isinstance(result.result, UpstreamUnavailable)

    row = meeting(context, booking.booking_id)
    assert row.written_at is None
    assert row.write_error and "forsøges ikke igen" in row.write_error


def test_a_refused_login_is_recorded_at_once(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str]
) -> None:
    booking = setup_booking(context, new_calendar("anne"), password="wrong")

    assert celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get() is None

    row = meeting(context, booking.booking_id)
    assert row.written_at is None and row.write_error and "afviste" in row.write_error
