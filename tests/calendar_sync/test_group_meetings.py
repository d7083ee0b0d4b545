"""Group meetings (fællesmøder) in the advisors' calendars (issue 14): each meeting is written
once into every advisor's calendar (stable UID, no CPR, the seats booked in its text), a
redelivered event leaves exactly one event per meeting and advisor, a moved meeting moves
its events and a cancelled one removes them; and a meeting is busy time of its advisors,
reporting time included, in every other offer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import caldav
import icalendar
from celery import Celery
from sqlalchemy import select

from services.calendar_sync import runtime
from services.calendar_sync.consumer import (
    UPDATE_BOOKING,
    apply_advisor_changed,
    apply_group_seats,
    apply_offer,
    handle,
)
from services.calendar_sync.models import BookedMeeting
from shared import events as ev
from shared.events import Envelope, group_event_id
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import advisor_changed, at, new_id, offer_payload
from tests.calendar_sync.test_compute import FRI, WED, compute, local_hhmm, publish, starts, synced_advisor
from tests.calendar_sync.test_write_back import DAY


def group_offer(advisors: list[str], *meetings: ev.GroupMeetingPayload, **overrides: object) -> ev.OfferPayload:
    return offer_payload(
        new_id(), advisors, name="Informationsmøde", meeting_form="group", start_minutes=[], duration_minutes=60,
        reporting_minutes=15, citizen_may_choose_advisor=False, meetings=list(meetings), **overrides,
    )  # fmt: skip


def meeting_at(start: datetime, seats: int = 25, extra: int = 5, **overrides: object) -> ev.GroupMeetingPayload:
    values: dict[str, object] = {"meeting_id": str(uuid.uuid4()), "start": start, "end": start + timedelta(hours=1),
                                 "seats": seats, "extra_seats": extra, **overrides}  # fmt: skip
    return ev.GroupMeetingPayload.model_validate(values)


def changed(offer: ev.OfferPayload, *meetings: ev.GroupMeetingPayload) -> ev.OfferPayload:
    return offer.model_copy(update={"meetings": list(meetings), "changed_at": offer.changed_at + timedelta(minutes=1)})


def advisor_with_calendar(context: ServiceContext, url: str, user: str) -> str:
    advisor_id = new_id()
    envelope = advisor_changed(
        advisor_id, caldav_url=url, username=user, password=USERS[user], secret_keys=context.settings.secret_keys
    )
    with context.db.transaction() as session:
        apply_advisor_changed(session, envelope)
    return advisor_id


def events(url: str, user: str) -> list[icalendar.Event]:
    texts = events_on_as(url, user)
    return [next(iter(icalendar.Calendar.from_ical(t).walk("VEVENT"))) for t in texts]


def events_on_as(url: str, user: str) -> list[str]:
    client = caldav.DAVClient(url=url, username=user, password=USERS[user])
    found = client.calendar(url=url).search(start=at(DAY, 0), end=at(DAY + timedelta(days=1), 0), event=True)
    return [str(obj.data) for obj in found]


def test_each_meeting_is_one_event_in_every_advisors_calendar_even_when_redelivered(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str]
) -> None:
    anne_url, bo_url = new_calendar("anne"), new_calendar("bo")
    anne, bo = advisor_with_calendar(context, anne_url, "anne"), advisor_with_calendar(context, bo_url, "bo")
    meeting = meeting_at(at(DAY, 10))
    offer = group_offer([anne, bo], meeting)
    envelope = offer.envelope(ev.OFFER_PUBLISHED)
    handle(context, envelope)
    handle(context, envelope)  # redelivered
    handle(context, Envelope(type=envelope.type, payload=envelope.payload))  # sent again under a new id

    for url, user, advisor in ((anne_url, "anne", anne), (bo_url, "bo", bo)):
        [event] = events(url, user)
        assert str(event["UID"]) == f"booking-{group_event_id(meeting.meeting_id, advisor)}@jobcenter-planner"
        assert event.decoded("DTSTART") == at(DAY, 10) and str(event["SUMMARY"]) == "Informationsmøde"
        assert "Booket: 0 af 30 pladser" in str(event["DESCRIPTION"])

    seats = ev.GroupSeatsPayload(offer_id=offer.offer_id, meeting_id=meeting.meeting_id, taken=3,
                                 changed_at=datetime.now(at(DAY, 10).tzinfo))  # fmt: skip
    handle(context, seats.envelope(ev.GROUP_SEATS_CHANGED))
    assert ["Booket: 3 af 30 pladser" in str(e["DESCRIPTION"]) for e in events(anne_url, "anne")] == [True]

    moved = meeting.model_copy(update={"start": at(DAY, 13), "end": at(DAY, 14)})
    handle(context, changed(offer, moved).envelope(ev.OFFER_CHANGED))
    assert [e.decoded("DTSTART") for e in events(bo_url, "bo")] == [at(DAY, 13)]
    assert ["Booket: 3 af 30 pladser" in str(e["DESCRIPTION"]) for e in events(bo_url, "bo")] == [True]

    gone = moved.model_copy(update={"cancelled": True})
    later = changed(changed(offer, moved), gone)
    handle(context, later.envelope(ev.OFFER_CHANGED))
    assert events(anne_url, "anne") == [] and events(bo_url, "bo") == []


def test_a_meeting_is_busy_time_of_its_advisors_in_every_other_offer(context: ServiceContext) -> None:
    advisor = synced_advisor(context)
    individual = publish(context, [advisor], end_date=FRI)
    before = local_hhmm(starts(compute(context, individual), advisor), WED)
    offer = group_offer([advisor], meeting_at(at(WED, 10)))  # busy 10:00-11:15
    with context.db.transaction() as session:
        apply_offer(session, offer.envelope(ev.OFFER_PUBLISHED))
    after = local_hhmm(starts(compute(context, individual), advisor), WED)
    assert {"09:30", "10:00", "10:30", "11:00"} <= set(before)
    assert set(before) - set(after) == {"09:30", "10:00", "10:30", "11:00"}  # 30 min + 15 reporting each
    with context.db.transaction() as session:
        rows = session.scalars(select(BookedMeeting).where(BookedMeeting.offer_id == offer.offer_id)).all()
        assert [(r.advisor_id, r.occupied_until) for r in rows] == [(advisor, at(WED, 11, 15))]


def test_a_burst_of_seat_changes_rewrites_each_event_once(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str]
) -> None:
    anne_url = new_calendar("anne")
    anne = advisor_with_calendar(context, anne_url, "anne")
    meeting = meeting_at(at(DAY, 10))
    offer = group_offer([anne], meeting)
    handle(context, offer.envelope(ev.OFFER_PUBLISHED))
    [written] = events_on_as(anne_url, "anne")
    start = datetime.now(at(DAY, 10).tzinfo)
    with context.db.transaction() as session:  # twenty bookings land before the delayed writes run
        for taken in range(1, 21):
            seats = ev.GroupSeatsPayload(offer_id=offer.offer_id, meeting_id=meeting.meeting_id, taken=taken,
                                         changed_at=start + timedelta(seconds=taken))  # fmt: skip
            apply_group_seats(session, seats.envelope(ev.GROUP_SEATS_CHANGED))
    [row_id] = [row.booking_id for row in stored(context)]
    tags = []
    for _ in range(20):  # each seat change's update task
        runtime.enqueue(context.settings, UPDATE_BOOKING, row_id)
        tags.append(next(r.etag for r in stored(context)))
    [event] = events(anne_url, "anne")
    assert "Booket: 20 af 30 pladser" in str(event["DESCRIPTION"]) and events_on_as(anne_url, "anne") != [written]
    assert len(set(tags)) == 1  # written once: the other nineteen found the event saying so


def stored(context: ServiceContext) -> list[BookedMeeting]:
    with context.db.transaction() as session:
        return list(session.scalars(select(BookedMeeting)))
