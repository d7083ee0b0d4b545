"""Times computed from an advisor's calendar data expire with it: ``availability.computed``
says until when each advisor's calendar data is current, and booking stops offering (and
accepting) their starts after that instant by itself, with no newer computation coming
(the calendar-sync worker is down). Events from before the field existed keep their times."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.booking.models import Booking
from shared import events as ev
from tests.booking.conftest import TODAY, TOMORROW, BookingService, at

NINE, TEN = at(TOMORROW, 9), at(TOMORROW, 10)
ANNE_EXPIRES = at(TODAY, 10)


def compute(
    service: BookingService,
    offer_id: str,
    slots: dict[str, list[datetime]],
    valid_until: dict[str, datetime],
    computed_at: datetime,
) -> None:
    """Deliver ``availability.computed`` as the worker sends it: with each advisor's bound."""
    payload = ev.AvailabilityPayload(
        offer_id=offer_id,
        computed_at=computed_at,
        window_start=at(TODAY, 0),
        window_end=at(TODAY + timedelta(days=71), 0),
        slots=[ev.BookableSlot(advisor_id=a, start=s) for a, starts in slots.items() for s in starts],
        calendar_valid_until=valid_until,
    )
    assert service.deliver(payload.envelope(ev.AVAILABILITY_COMPUTED))


def advisors_at(service: BookingService, offer_id: str, start: datetime) -> set[str]:
    """The advisors listed at ``start`` (public times)."""
    return {t["advisor_id"] for t in service.times(offer_id) if datetime.fromisoformat(t["start"]) == start}


def anne_expires_first(service: BookingService, **offer: object) -> tuple[str, str, str]:
    """An offer of anne (free at NINE and TEN, data current until TODAY 10:00) and bo (free
    at NINE, data current until TOMORROW 08:00), computed at TODAY 09:00."""
    anne, bo = str(uuid.uuid4()), str(uuid.uuid4())
    offer_id = service.publish_offer(advisor_ids=[anne, bo], **offer).offer_id
    compute(service, offer_id, {anne: [NINE, TEN], bo: [NINE]}, {anne: ANNE_EXPIRES, bo: at(TOMORROW, 8)}, at(TODAY, 9))
    return offer_id, anne, bo


def test_an_advisors_times_vanish_when_their_calendar_data_expires_without_a_new_computation(
    service: BookingService,
) -> None:
    offer_id, anne, bo = anne_expires_first(service)

    service.clock.now = ANNE_EXPIRES
    assert advisors_at(service, offer_id, NINE) == {anne, bo} and advisors_at(service, offer_id, TEN) == {anne}

    service.clock.now = ANNE_EXPIRES + timedelta(seconds=1)  # nobody has read anne's calendar since
    assert advisors_at(service, offer_id, NINE) == {bo}
    assert advisors_at(service, offer_id, TEN) == set()
    personal = service.citizen_times(offer_id)
    assert personal.status_code == 200, personal.get_json()
    assert [(t["start"], t["advisor_id"]) for t in personal.get_json()["times"]] == [(NINE.isoformat(), bo)]


def test_an_expired_time_cannot_be_booked_and_the_advisor_with_current_data_is_chosen(
    service: BookingService,
) -> None:
    offer_id, _anne, bo = anne_expires_first(service, citizen_may_choose_advisor=False)
    service.clock.now = ANNE_EXPIRES + timedelta(minutes=1)

    refused = service.book(offer_id, TEN)
    assert refused.status_code == 409, refused.get_json()
    assert service.count(Booking) == 0

    booked = service.book(offer_id, NINE)
    assert booked.status_code == 201, booked.get_json()
    assert [str(b.advisor_id) for b in service.bookings()] == [bo]  # anne was first in line, but her data is old


def test_a_newer_computation_after_a_good_read_offers_the_times_again(service: BookingService) -> None:
    anne = str(uuid.uuid4())
    offer = service.publish_offer(advisor_ids=[anne])
    compute(service, offer.offer_id, {anne: [NINE, TEN]}, {anne: at(TODAY, 10)}, at(TODAY, 9))
    service.clock.now = at(TODAY, 11)
    assert service.times(offer.offer_id) == []

    compute(service, offer.offer_id, {anne: [TEN]}, {anne: at(TODAY, 12)}, at(TODAY, 11))

    assert advisors_at(service, offer.offer_id, TEN) == {anne} and advisors_at(service, offer.offer_id, NINE) == set()


def test_a_computation_from_a_worker_without_bounds_keeps_its_times(service: BookingService) -> None:
    anne = str(uuid.uuid4())
    offer = service.publish_offer(advisor_ids=[anne])
    payload = {
        "offer_id": offer.offer_id,
        "computed_at": at(TODAY, 9).isoformat(),
        "window_start": at(TODAY, 0).isoformat(),
        "window_end": at(TODAY + timedelta(days=71), 0).isoformat(),
        "slots": [{"advisor_id": anne, "start": at(TODAY + timedelta(days=9), 9).isoformat()}],
        "withheld_advisor_ids": [],
    }  # as an older worker sends it: no calendar_valid_until
    assert service.deliver(ev.Envelope(type=ev.AVAILABILITY_COMPUTED, payload=payload))

    service.clock.set_day(TODAY + timedelta(days=7))
    assert service.local_starts(offer.offer_id, anne) == [f"{TODAY + timedelta(days=9)} 09:00"]
