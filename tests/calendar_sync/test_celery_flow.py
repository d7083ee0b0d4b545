"""The worker end to end in one process: events in, Celery tasks in eager mode over the
in-memory broker, Radicale and PostgreSQL underneath, ``availability.computed`` out."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from celery import Celery
from sqlalchemy import func, select

from services.calendar_sync import consumer
from services.calendar_sync.models import AdvisorCalendar, BookedMeeting, OutboxMessage, ProcessedEvent
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


def computed(context: ServiceContext) -> list[dict[str, Any]]:
    """Every availability.computed in the outbox, oldest first (with whether it was sent)."""
    with context.db.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.event_type == ev.AVAILABILITY_COMPUTED)
            .order_by(OutboxMessage.seq)
        ).all()
    return [{**json.loads(row.body)["payload"], "sent": row.published_at is not None} for row in rows]


def starts(payload: dict[str, Any], advisor_id: str) -> list[datetime]:
    return [datetime.fromisoformat(s["start"]) for s in payload["slots"] if s["advisor_id"] == advisor_id]


def test_advisor_changed_syncs_computes_and_publishes_the_offers_times(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    today = utcnow().astimezone(CPH).date()
    day = working_day_ahead(today)
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("busy", at(day, 10), at(day, 11)))
    advisor_id, offer_id = new_id(), new_id()

    consumer.handle(context, offer_published(offer_id, [advisor_id], first_meeting_date=today, opens_on=today))
    [first] = computed(context)
    assert first["slots"] == [] and first["withheld_advisor_ids"] == [advisor_id], "not read yet: withheld"

    consumer.handle(context, advisor_changed(advisor_id, caldav_url=url, secret_keys=context.settings.secret_keys))

    latest = computed(context)[-1]
    assert latest["offer_id"] == offer_id and latest["withheld_advisor_ids"] == [] and latest["sent"]
    assert local_hhmm(starts(latest, advisor_id), day) == [
        "08:00", "08:30", "09:00", "11:00", "12:30", "13:00", "13:30", "14:00", "14:30",
    ]  # fmt: skip
    assert all(s.astimezone(CPH).date() > today for s in starts(latest, advisor_id)), "one day's notice"


def test_booking_created_blocks_the_time_and_writes_the_meeting_once(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    today = utcnow().astimezone(CPH).date()
    day = working_day_ahead(today)
    url = new_calendar("anne")
    advisor_id, offer_id, other_offer = new_id(), new_id(), new_id()
    consumer.handle(context, advisor_changed(advisor_id, caldav_url=url, secret_keys=context.settings.secret_keys))
    consumer.handle(context, offer_published(offer_id, [advisor_id], first_meeting_date=today, opens_on=today))
    consumer.handle(
        context,
        offer_published(other_offer, [advisor_id], first_meeting_date=today, opens_on=today, name="Telefonsamtale"),
    )
    booking = booking_payload(advisor_id, offer_id, at(day, 8), minutes=30, reporting=15).envelope(ev.BOOKING_CREATED)

    consumer.handle(context, booking)
    consumer.handle(context, booking)  # redelivered

    latest = {payload["offer_id"]: payload for payload in computed(context)}
    for offer in (offer_id, other_offer):
        found = local_hhmm(starts(latest[offer], advisor_id), day)
        assert "08:00" not in found and "08:30" not in found and "09:00" in found
    with context.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(BookedMeeting)) == 1
        assert session.get(ProcessedEvent, booking.id) is not None
        meeting = session.get(BookedMeeting, booking.payload["booking_id"])
        assert meeting is not None and meeting.written_at is not None
    in_calendar = (
        radicale.client("anne", USERS["anne"]).calendar(url=url).search(start=at(day, 0), end=at(day, 23), event=True)
    )
    assert len(in_calendar) == 1


def test_a_duplicate_or_older_event_changes_nothing(context: ServiceContext, celery_app: Celery) -> None:
    advisor_id = new_id()
    keys = context.settings.secret_keys
    newer = advisor_changed(advisor_id, caldav_url=None, username=None, password=None, secret_keys=keys)
    older = advisor_changed(
        advisor_id,
        caldav_url=None,
        username=None,
        password=None,
        secret_keys=keys,
        working_hours={"mon": [["08:00", "09:00"]]},
        occurred_at=datetime(2020, 1, 1, tzinfo=CPH),
    )
    consumer.handle(context, newer)
    consumer.handle(context, older)
    consumer.handle(context, newer)

    with context.db.transaction() as session:
        row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None and "tue" in row.working_hours
        assert row.last_success_at is not None, "the sync task ran (no calendar: working hours only)"
