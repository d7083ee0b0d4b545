"""Cancellations (B-3) and rebookings (B-4) in the worker: the meeting leaves or moves in the
advisor's Radicale calendar, its time is free again in every offer, redeliveries are harmless."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import icalendar
from celery import Celery
from sqlalchemy import func, select

from services.calendar_sync import consumer
from services.calendar_sync.models import BookedMeeting, ProcessedEvent
from services.calendar_sync.sync import sync_advisor
from services.demo.embedded_radicale import RadicaleServer
from shared import events as ev
from shared.service import ServiceContext
from shared.timeutil import utcnow
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import (
    CPH,
    advisor_changed,
    at,
    booking_payload,
    event_ics,
    local_hhmm,
    new_id,
    offer_published,
    working_day_ahead,
)
from tests.calendar_sync.test_celery_flow import computed, starts
from tests.calendar_sync.test_conflicts_and_health import conflict, outbox
from tests.calendar_sync.test_sync import NOW
from tests.calendar_sync.test_write_back import DAY, setup_booking


def events_on(radicale: RadicaleServer, url: str, day: date, user: str = "anne") -> list[tuple[str, datetime]]:
    """(UID, local start) of every event in the calendar on ``day``."""
    found = radicale.client(user, USERS[user]).calendar(url=url).search(start=at(day, 0), end=at(day, 23), event=True)
    result = []
    for obj in found:
        vevent = next(iter(icalendar.Calendar.from_ical(str(obj.data)).walk("VEVENT")))
        result.append((str(vevent["UID"]), vevent.decoded("DTSTART").astimezone(CPH)))
    return sorted(result)


def meeting(context: ServiceContext, booking_id: str) -> BookedMeeting:
    with context.db.transaction() as session:
        row = session.get(BookedMeeting, booking_id)
        assert row is not None
        return row


def latest_starts(context: ServiceContext, offer_id: str, advisor_id: str, day: date) -> list[str]:
    latest = {payload["offer_id"]: payload for payload in computed(context)}[offer_id]
    return local_hhmm(starts(latest, advisor_id), day)


def offer_times(context: ServiceContext, offer_id: str) -> list[dict[str, Any]]:
    """Every ``availability.computed`` of the offer in the outbox, oldest first."""
    return [payload for payload in computed(context) if payload["offer_id"] == offer_id]


def uid(booking_id: str) -> str:
    return f"booking-{booking_id}@jobcenter-planner"


def add_advisor(context: ServiceContext, url: str, user: str = "anne") -> str:
    advisor_id = new_id()
    keys = context.settings.secret_keys
    consumer.handle(
        context, advisor_changed(advisor_id, caldav_url=url, username=user, password=USERS[user], secret_keys=keys)
    )
    return advisor_id


def booked_day(
    context: ServiceContext, radicale: RadicaleServer, url: str, advisor_ids: list[str]
) -> tuple[date, str, ev.BookingPayload]:
    """An offer of ``advisor_ids`` and a booking with the first at 08:00, written to its calendar."""
    today = utcnow().astimezone(CPH).date()
    day = working_day_ahead(today)
    offer_id = new_id()
    consumer.handle(context, offer_published(offer_id, advisor_ids, first_meeting_date=today, opens_on=today))
    booking = booking_payload(advisor_ids[0], offer_id, at(day, 8), minutes=30, reporting=15)
    consumer.handle(context, booking.envelope(ev.BOOKING_CREATED))
    assert events_on(radicale, url, day) == [(uid(booking.booking_id), at(day, 8))]
    assert "08:00" not in latest_starts(context, offer_id, advisor_ids[0], day)
    return day, offer_id, booking


def cancelled(booking: ev.BookingPayload, when: datetime | None = None) -> ev.Envelope:
    """``booking.cancelled`` of ``booking``, cancelled at ``when`` (default: now)."""
    return ev.BookingCancelledPayload(
        booking_id=booking.booking_id,
        offer_id=booking.offer_id,
        advisor_id=booking.advisor_id,
        cancelled_at=when or utcnow(),
    ).envelope(ev.BOOKING_CANCELLED)


def rebooked(old: ev.BookingPayload, new: ev.BookingPayload) -> ev.Envelope:
    return ev.BookingRebookedPayload(old_booking_id=old.booking_id, booking=new, rebooked_at=utcnow()).envelope(
        ev.BOOKING_REBOOKED
    )


def test_a_cancelled_booking_leaves_the_calendar_and_its_time_is_free_again(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id = add_advisor(context, url)
    day, offer_id, booking = booked_day(context, radicale, url, [advisor_id])
    envelope = cancelled(booking)

    consumer.handle(context, envelope)

    assert events_on(radicale, url, day) == []
    row = meeting(context, booking.booking_id)
    assert row.cancelled_at is not None and row.written_at is None and row.write_error is None
    assert latest_starts(context, offer_id, advisor_id, day)[:3] == ["08:00", "08:30", "09:00"]

    before = offer_times(context, offer_id)
    consumer.handle(context, envelope)  # redelivered: applied once only, but its tasks run again

    assert events_on(radicale, url, day) == []
    assert meeting(context, booking.booking_id).cancelled_at == row.cancelled_at
    after = offer_times(context, offer_id)
    assert len(after) == len(before) + 1, "the offer's times are published again (a lost task would be made good)"
    assert after[-1]["slots"] == before[-1]["slots"], "and they are the same times: the redelivery changed nothing"
    with context.db.transaction() as session:
        assert session.scalar(select(func.count()).where(ProcessedEvent.event_id == envelope.id)) == 1


def test_a_rebooking_moves_the_meeting_in_the_calendar_and_frees_the_old_time(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id = add_advisor(context, url)
    day, offer_id, old = booked_day(context, radicale, url, [advisor_id])
    new = booking_payload(advisor_id, offer_id, at(day, 13), minutes=30, reporting=15, reference="NY7QX2KM")
    envelope = rebooked(old, new)

    consumer.handle(context, envelope)
    consumer.handle(context, envelope)  # redelivered

    assert events_on(radicale, url, day) == [(uid(new.booking_id), at(day, 13))]
    assert meeting(context, old.booking_id).cancelled_at is not None
    written = meeting(context, new.booking_id)
    assert written.cancelled_at is None and written.written_at is not None and written.etag
    found = latest_starts(context, offer_id, advisor_id, day)
    assert "08:00" in found and "13:00" not in found and "12:30" not in found


def test_a_rebooking_to_another_advisor_moves_the_meeting_between_calendars(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    anne_url, bo_url = new_calendar("anne"), new_calendar("bo")
    anne, bo = add_advisor(context, anne_url), add_advisor(context, bo_url, user="bo")
    day, offer_id, old = booked_day(context, radicale, anne_url, [anne, bo])
    new = booking_payload(bo, offer_id, at(day, 8), minutes=30, reporting=15)

    consumer.handle(context, rebooked(old, new))

    assert events_on(radicale, anne_url, day) == []
    assert events_on(radicale, bo_url, day, user="bo") == [(uid(new.booking_id), at(day, 8))]
    assert "08:00" in latest_starts(context, offer_id, anne, day)
    assert "08:00" not in latest_starts(context, offer_id, bo, day)


def test_a_cancellation_that_overtakes_its_booking_is_remembered_and_the_meeting_never_written(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id = add_advisor(context, url)
    today = utcnow().astimezone(CPH).date()
    day = working_day_ahead(today)
    offer_id = new_id()
    consumer.handle(context, offer_published(offer_id, [advisor_id], first_meeting_date=today, opens_on=today))
    booking = booking_payload(advisor_id, offer_id, at(day, 8))
    early = cancelled(booking)

    consumer.handle(context, early)  # before its booking.created (a redelivery reordered them)
    with context.db.transaction() as session:
        assert session.get(ProcessedEvent, early.id) is not None  # done with: not delivered again and again
    consumer.handle(context, booking.envelope(ev.BOOKING_CREATED))

    assert meeting(context, booking.booking_id).cancelled_at is not None
    assert events_on(radicale, url, day) == []
    assert "08:00" in latest_starts(context, offer_id, advisor_id, day)


def test_a_cancelled_meeting_is_no_conflict_and_its_open_conflict_is_resolved(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    booking = setup_booking(context, url)  # on DAY, the day after NOW: 08:00-08:30 plus 15 minutes of reporting
    celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()
    radicale.put_event("anne", USERS["anne"], url, event_ics("dentist", at(DAY, 8, 40), at(DAY, 9, 30)))
    sync_advisor(context, booking.advisor_id, NOW)
    found = conflict(context, booking.booking_id)
    assert found is not None and found.resolved_at is None

    consumer.handle(context, cancelled(booking, NOW + timedelta(minutes=2)))  # resolves it, deletes the event

    resolved = conflict(context, booking.booking_id)
    assert resolved is not None and resolved.resolved_at == NOW + timedelta(minutes=2)
    told: list[dict[str, Any]] = outbox(context, ev.BOOKING_CONFLICT_DETECTED)
    assert [p["resolved"] for p in told] == [False, True]
    sync_advisor(context, booking.advisor_id, NOW + timedelta(minutes=5))
    assert len(outbox(context, ev.BOOKING_CONFLICT_DETECTED)) == 2, "a cancelled meeting is not a conflict again"


def free_from(context: ServiceContext, advisor_id: str, day: date) -> list[str]:
    """Local starts of the advisor's free periods on ``day`` in the latest ``advisor.free_time_changed``."""
    latest = [p for p in outbox(context, ev.ADVISOR_FREE_TIME_CHANGED) if p["advisor_id"] == advisor_id][-1]
    return local_hhmm([datetime.fromisoformat(span["start"]) for span in latest["free"]], day)


def test_staff_see_the_advisors_free_time_follow_bookings_and_cancellations(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id = add_advisor(context, url)
    day, _offer_id, booking = booked_day(context, radicale, url, [advisor_id])
    assert free_from(context, advisor_id, day)[0] == "08:45"  # the 08:00 meeting and its reporting time

    consumer.handle(context, cancelled(booking))

    assert free_from(context, advisor_id, day)[0] == "08:00"


def test_a_write_still_waiting_when_the_booking_is_cancelled_never_puts_the_meeting_back(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id = add_advisor(context, url)
    today = utcnow().astimezone(CPH).date()
    day = working_day_ahead(today)
    booking = booking_payload(advisor_id, new_id(), at(day, 8))
    with context.db.transaction() as session:  # stored, but its write is still waiting (calendar server down)
        consumer.apply_booking_created(session, booking.envelope(ev.BOOKING_CREATED))
    with context.db.transaction() as session:
        consumer.apply_booking_cancelled(session, cancelled(booking))

    assert celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get() is None

    assert events_on(radicale, url, day) == []
