"""Conflicts between booked meetings and the advisor's own calendar; calendar health and
stale advisors (withheld, and told to staff through the outbox)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Celery
from sqlalchemy import select

from services.calendar_sync.compute import compute_offer_availability
from services.calendar_sync.consumer import apply_advisor_changed, apply_offer
from services.calendar_sync.models import BookingConflict, OutboxMessage
from services.calendar_sync.sync import sync_advisor
from services.demo.embedded_radicale import RadicaleServer
from shared import events as ev
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import advisor_changed, at, event_ics, new_id, offer_payload
from tests.calendar_sync.test_sync import NOW, add_advisor, calendar
from tests.calendar_sync.test_write_back import DAY, setup_booking


def outbox(context: ServiceContext, event_type: str) -> list[dict[str, Any]]:
    with context.db.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == event_type).order_by(OutboxMessage.seq)
        )
        return [json.loads(row.body)["payload"] for row in rows]


def conflict(context: ServiceContext, booking_id: str) -> BookingConflict | None:
    with context.db.transaction() as session:
        return session.get(BookingConflict, booking_id)


def test_an_event_over_a_booked_meeting_is_a_conflict_until_it_is_removed(
    context: ServiceContext,
    celery_app: Celery,
    radicale: RadicaleServer,
    new_calendar: Callable[[str], str],
) -> None:
    url = new_calendar("anne")
    booking = setup_booking(context, url)  # 08:00-08:30 plus 15 minutes of reporting time
    celery_app.tasks["calendar_sync.write_booking"].delay(booking.booking_id).get()
    sync_advisor(context, booking.advisor_id, NOW)
    assert conflict(context, booking.booking_id) is None, "our own booking event is no conflict"

    radicale.put_event("anne", USERS["anne"], url, event_ics("dentist", at(DAY, 8, 40), at(DAY, 9, 30)))
    sync_advisor(context, booking.advisor_id, NOW + timedelta(minutes=5))

    found = conflict(context, booking.booking_id)
    assert found is not None and found.resolved_at is None
    [detected] = outbox(context, ev.BOOKING_CONFLICT_DETECTED)
    assert detected["booking_id"] == booking.booking_id and detected["resolved"] is False
    sync_advisor(context, booking.advisor_id, NOW + timedelta(minutes=10))
    assert len(outbox(context, ev.BOOKING_CONFLICT_DETECTED)) == 1, "a known conflict is not told again"

    calendar(url).event_by_uid("dentist").delete()
    sync_advisor(context, booking.advisor_id, NOW + timedelta(minutes=15))

    resolved = conflict(context, booking.booking_id)
    assert resolved is not None and resolved.resolved_at == NOW + timedelta(minutes=15)
    assert [p["resolved"] for p in outbox(context, ev.BOOKING_CONFLICT_DETECTED)] == [False, True]


def test_a_stale_advisor_is_withheld_and_staff_are_told(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id = add_advisor(context, url)
    offer = offer_payload(new_id(), [advisor_id])
    with context.db.transaction() as session:
        apply_offer(session, offer.envelope(ev.OFFER_PUBLISHED))
    sync_advisor(context, advisor_id, NOW)
    [healthy] = outbox(context, ev.CALENDAR_HEALTH_CHANGED)
    assert healthy["stale"] is False and healthy["last_error"] is None

    sync_advisor(context, advisor_id, NOW + timedelta(minutes=10))
    assert len(outbox(context, ev.CALENDAR_HEALTH_CHANGED)) == 1, "not an event per successful sync"

    with context.db.transaction() as session:  # the password went wrong: reads fail from now on
        apply_advisor_changed(
            session,
            advisor_changed(advisor_id, caldav_url=url, password="wrong", secret_keys=context.settings.secret_keys),
        )
    later = NOW + timedelta(minutes=10, seconds=context.settings.calendar_stale_after_seconds + 1)
    sync_advisor(context, advisor_id, later)

    health = outbox(context, ev.CALENDAR_HEALTH_CHANGED)[-1]
    assert health["stale"] is True and health["last_error"]
    with context.db.transaction() as session:
        fresh = compute_offer_availability(session, context.settings, offer.offer_id, NOW + timedelta(minutes=10))
        stale = compute_offer_availability(session, context.settings, offer.offer_id, later)
    assert fresh is not None and fresh.slots and fresh.withheld_advisor_ids == []
    assert stale is not None and stale.slots == [] and stale.withheld_advisor_ids == [advisor_id]


def test_health_is_refreshed_at_most_hourly_on_success(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    advisor_id = add_advisor(context, new_calendar("anne"))
    for minutes in (0, 20, 40, 61, 90):
        sync_advisor(context, advisor_id, NOW + timedelta(minutes=minutes))
    published = [p["last_success_at"] for p in outbox(context, ev.CALENDAR_HEALTH_CHANGED)]
    assert len(published) == 2
