"""A citizen cancels (B-3) or moves (B-4) their own booking: the time is free again at once,
the booking's own terms decide (V-6), and a refused move loses nothing."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.booking.db import migrate
from services.booking.models import CprAccessLog
from shared import events as ev
from tests.booking.conftest import TODAY, TOMORROW, BookingService, at, build_service, fictitious_cpr

MEETING_DAY = TODAY + timedelta(days=3)  # Thursday 10 December; rebooking 2 days before: until Tuesday 8


def cancel(service: BookingService, booking_id: str, n: int = 0) -> Any:
    return service.client().post(f"/api/v1/bookings/{booking_id}/cancel", json={"citizen": {"cpr": fictitious_cpr(n)}})


def rebook(service: BookingService, booking_id: str, start: Any, n: int = 0, advisor_id: str | None = None) -> Any:
    body: dict[str, Any] = {"start": start.isoformat(), "citizen": {"cpr": fictitious_cpr(n)}}
    if advisor_id is not None:
        body["advisor_id"] = advisor_id
    return service.client().post(f"/api/v1/bookings/{booking_id}/rebook", json=body)


def read(service: BookingService, booking_id: str) -> dict[str, Any]:
    response = service.client().get(f"/api/v1/bookings/{booking_id}")
    assert response.status_code == 200
    return dict(response.get_json())


def events_of(service: BookingService, event_type: str) -> list[ev.Envelope]:
    return [ev.Envelope.from_json(m.body) for m in service.outbox() if m.event_type == event_type]


def booked(service: BookingService, start: Any, n: int = 0, **offer: Any) -> tuple[ev.OfferPayload, str]:
    """An offer with 09:00, 09:30 and 11:00 free on TOMORROW and MEETING_DAY; citizen ``n``
    books ``start``. Returns the offer and the booking id."""
    payload = service.publish_offer(**offer)
    advisor = payload.advisor_ids[0]
    starts = [at(day, hh, mm) for day in (TOMORROW, MEETING_DAY) for hh, mm in ((9, 0), (9, 30), (11, 0))]
    service.compute(payload.offer_id, {advisor: starts})
    response = service.book(payload.offer_id, start, n=n, advisor_id=advisor)
    assert response.status_code == 201, response.get_json()
    return payload, response.get_json()["id"]


def assert_no_cpr(text: str, n: int = 0) -> None:
    assert fictitious_cpr(n) not in text and "cpr" not in text.lower()


def test_after_cancelling_the_time_is_free_again_for_another_citizen(service: BookingService) -> None:
    offer, booking_id = booked(service, at(TOMORROW, 9))
    advisor = offer.advisor_ids[0]
    assert "09:00" not in service.local_starts(offer.offer_id, advisor, TOMORROW)

    response = cancel(service, booking_id)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "cancelled" and body["cancelled_at"] and body["rebooked_to"] is None
    assert_no_cpr(response.get_data(as_text=True))
    assert service.local_starts(offer.offer_id, advisor, TOMORROW) == ["09:00", "09:30", "11:00"]
    assert service.book(offer.offer_id, at(TOMORROW, 9), n=1, advisor_id=advisor).status_code == 201
    # the citizen may book the offer again, too (the one-active-booking rule counts active ones)
    assert service.book(offer.offer_id, at(TOMORROW, 11), n=0, advisor_id=advisor).status_code == 201

    [event] = events_of(service, ev.BOOKING_CANCELLED)
    payload = ev.BookingCancelledPayload.model_validate(event.payload)
    assert payload.booking_id == booking_id and payload.advisor_id == advisor and payload.offer_id == offer.offer_id
    assert_no_cpr(event.to_json())
    with service.context.db.transaction() as session:
        purposes = session.scalars(select(CprAccessLog.purpose)).all()
    assert "cancel_booking" in purposes


def test_cancelling_twice_is_a_409_with_a_danish_message_and_changes_nothing(service: BookingService) -> None:
    _, booking_id = booked(service, at(TOMORROW, 9))
    assert cancel(service, booking_id).status_code == 200

    again = cancel(service, booking_id)

    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert again.get_json()["code"] == "already_cancelled"
    assert again.get_json()["detail"] == "Bookingen er allerede aflyst."
    assert len(events_of(service, ev.BOOKING_CANCELLED)) == 1


def test_cancelling_is_refused_when_the_offer_did_not_accept_it_on_the_booking_day(service: BookingService) -> None:
    offer, booking_id = booked(service, at(TOMORROW, 9), accept_cancellation=False)
    service.publish_offer(
        ev.OFFER_CHANGED, offer_id=offer.offer_id, advisor_ids=offer.advisor_ids, accept_cancellation=True,
        changed_at=offer.changed_at + timedelta(hours=1),
    )  # fmt: skip

    response = cancel(service, booking_id)

    assert response.status_code == 403
    problem = response.get_json()
    assert problem["code"] == "cancellation_not_allowed" and "tillod ikke aflysning" in problem["detail"]
    assert read(service, booking_id)["status"] == "active"
    assert events_of(service, ev.BOOKING_CANCELLED) == []


def test_a_booking_made_while_cancellation_was_accepted_stays_cancellable(service: BookingService) -> None:
    offer, booking_id = booked(service, at(TOMORROW, 9), accept_cancellation=True)
    service.publish_offer(
        ev.OFFER_CHANGED, offer_id=offer.offer_id, advisor_ids=offer.advisor_ids, accept_cancellation=False,
        changed_at=offer.changed_at + timedelta(hours=1),
    )  # fmt: skip

    assert cancel(service, booking_id).status_code == 200


def test_only_the_bookings_own_citizen_may_cancel_it_and_only_before_the_meeting(service: BookingService) -> None:
    _, booking_id = booked(service, at(TOMORROW, 9))

    other = cancel(service, booking_id, n=1)
    assert other.status_code == 403 and other.get_json()["code"] == "not_your_booking"
    assert_no_cpr(other.get_data(as_text=True), n=1)
    unknown = cancel(service, str(uuid.uuid4()))
    assert unknown.status_code == 404 and unknown.get_json()["detail"] == "Bookingen findes ikke."
    invalid = service.client().post(f"/api/v1/bookings/{booking_id}/cancel", json={"citizen": {"cpr": "123"}})
    assert invalid.status_code == 422

    service.clock.now = at(TOMORROW, 9)
    begun = cancel(service, booking_id)
    assert begun.status_code == 409 and begun.get_json()["code"] == "meeting_begun"
    assert read(service, booking_id)["status"] == "active"


def test_rebooking_moves_the_booking_frees_the_old_time_and_takes_the_new(service: BookingService) -> None:
    offer, booking_id = booked(service, at(MEETING_DAY, 9), rebooking_days_before=2)
    advisor = offer.advisor_ids[0]
    old = read(service, booking_id)

    response = rebook(service, booking_id, at(MEETING_DAY, 11), advisor_id=advisor)

    assert response.status_code == 201, response.get_json()
    new = response.get_json()
    assert new["id"] != booking_id and new["reference"] != old["reference"] and new["status"] == "active"
    assert new["start"] == "2026-12-10T11:00:00+01:00" and new["advisor_id"] == advisor
    assert (new["accept_cancellation"], new["rebooking_days_before"]) == (True, 2)
    assert_no_cpr(response.get_data(as_text=True))
    moved = read(service, booking_id)
    assert moved["status"] == "rebooked" and moved["rebooked_to"] == new["id"] and moved["cancelled_at"]
    assert service.local_starts(offer.offer_id, advisor, MEETING_DAY) == ["09:00", "09:30"]

    [event] = events_of(service, ev.BOOKING_REBOOKED)
    payload = ev.BookingRebookedPayload.model_validate(event.payload)
    assert payload.old_booking_id == booking_id and payload.booking.booking_id == new["id"]
    assert payload.booking.start == at(MEETING_DAY, 11) and payload.booking.reference == new["reference"]
    assert_no_cpr(event.to_json())

    again = cancel(service, booking_id)  # the old booking is gone; the new one is the citizen's booking now
    assert again.status_code == 409 and again.get_json()["code"] == "already_rebooked"
    assert cancel(service, new["id"]).status_code == 200


def test_rebooking_may_overlap_the_citizens_own_old_meeting(service: BookingService) -> None:
    offer, booking_id = booked(service, at(MEETING_DAY, 9))  # occupied 09:00-09:45
    advisor = offer.advisor_ids[0]

    response = rebook(service, booking_id, at(MEETING_DAY, 9, 30), advisor_id=advisor)

    assert response.status_code == 201, response.get_json()
    assert service.local_starts(offer.offer_id, advisor, MEETING_DAY) == ["11:00"]


def test_rebooking_to_a_taken_time_is_a_409_and_the_old_booking_stays(service: BookingService) -> None:
    offer, booking_id = booked(service, at(MEETING_DAY, 9))
    advisor = offer.advisor_ids[0]
    assert service.book(offer.offer_id, at(MEETING_DAY, 11), n=1, advisor_id=advisor).status_code == 201

    response = rebook(service, booking_id, at(MEETING_DAY, 11), advisor_id=advisor)

    assert response.status_code == 409 and response.get_json()["detail"]
    assert response.get_json()["code"] in ("time_not_free", "time_taken")
    kept = read(service, booking_id)
    assert kept["status"] == "active" and kept["cancelled_at"] is None and kept["start"] == "2026-12-10T09:00:00+01:00"
    assert "09:00" not in service.local_starts(offer.offer_id, advisor, MEETING_DAY)
    assert events_of(service, ev.BOOKING_REBOOKED) == []
    assert len(service.bookings()) == 2


def test_rebooking_outside_the_period_or_to_its_own_time_is_refused_and_keeps_the_booking(
    service: BookingService,
) -> None:
    offer, booking_id = booked(service, at(MEETING_DAY, 9), end_date=MEETING_DAY)
    advisor = offer.advisor_ids[0]

    late = rebook(service, booking_id, at(MEETING_DAY + timedelta(days=1), 9), advisor_id=advisor)
    same = rebook(service, booking_id, at(MEETING_DAY, 9), advisor_id=advisor)

    assert late.status_code == 400 and late.get_json()["code"] == "outside_period"
    assert same.status_code == 400 and same.get_json()["code"] == "same_time"
    assert read(service, booking_id)["status"] == "active"


def test_rebooking_is_allowed_until_the_last_local_day_and_refused_after_it(service: BookingService) -> None:
    offer, booking_id = booked(service, at(MEETING_DAY, 11), rebooking_days_before=2)
    advisor = offer.advisor_ids[0]

    service.clock.now = at(MEETING_DAY - timedelta(days=1), 0)  # Wednesday 00:00: the deadline passed
    late = rebook(service, booking_id, at(MEETING_DAY, 9), advisor_id=advisor)
    assert late.status_code == 403
    assert late.get_json()["code"] == "rebooking_too_late" and "08.12.2026" in late.get_json()["detail"]
    assert read(service, booking_id)["status"] == "active"

    service.clock.now = at(MEETING_DAY - timedelta(days=2), 23, 59)  # Tuesday 23:59: the last minute
    response = rebook(service, booking_id, at(MEETING_DAY, 9), advisor_id=advisor)
    assert response.status_code == 201, response.get_json()


def test_rebooking_follows_the_terms_of_the_booking_day_not_the_offers_today(service: BookingService) -> None:
    offer, booking_id = booked(service, at(MEETING_DAY, 9), rebooking_days_before=None)
    advisor = offer.advisor_ids[0]
    service.publish_offer(
        ev.OFFER_CHANGED, offer_id=offer.offer_id, advisor_ids=offer.advisor_ids, rebooking_days_before=1,
        changed_at=offer.changed_at + timedelta(hours=1),
    )  # fmt: skip

    refused = rebook(service, booking_id, at(MEETING_DAY, 11), advisor_id=advisor)

    assert refused.status_code == 403 and refused.get_json()["code"] == "rebooking_not_allowed"
    assert "tillod ikke ombooking" in refused.get_json()["detail"]
    other = rebook(service, booking_id, at(MEETING_DAY, 11), n=1, advisor_id=advisor)
    assert other.status_code == 403 and other.get_json()["code"] == "not_your_booking"
    assert read(service, booking_id)["status"] == "active"


def test_the_openapi_document_lists_cancel_and_rebook_with_their_problems(service: BookingService) -> None:
    spec = service.client().get("/openapi.json").get_json()
    cancel_op = spec["paths"]["/api/v1/bookings/{booking_id}/cancel"]["post"]
    rebook_op = spec["paths"]["/api/v1/bookings/{booking_id}/rebook"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(cancel_op["responses"])
    assert {"201", "403", "404", "409", "422", "503"} <= set(rebook_op["responses"])
    assert "status" in spec["components"]["schemas"]["BookingOut"]["properties"]


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[BookingService]:
    url = f"sqlite:///{tmp_path / 'booking.db'}"
    migrate(url)
    built = build_service(url)
    yield built
    built.context.close()


def test_cancel_and_rebook_work_on_sqlite_too(sqlite_service: BookingService) -> None:
    offer, booking_id = booked(sqlite_service, at(MEETING_DAY, 9))
    advisor = offer.advisor_ids[0]

    moved = rebook(sqlite_service, booking_id, at(MEETING_DAY, 9, 30), advisor_id=advisor)
    assert moved.status_code == 201, moved.get_json()
    assert cancel(sqlite_service, moved.get_json()["id"]).status_code == 200

    assert sqlite_service.local_starts(offer.offer_id, advisor, MEETING_DAY) == ["09:00", "09:30", "11:00"]


def test_no_cpr_number_reaches_a_log_when_cancelling_or_rebooking(
    service: BookingService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    offer, booking_id = booked(service, at(MEETING_DAY, 9))
    advisor = offer.advisor_ids[0]
    assert service.book(offer.offer_id, at(MEETING_DAY, 11), n=1, advisor_id=advisor).status_code == 201

    assert rebook(service, booking_id, at(MEETING_DAY, 11), advisor_id=advisor).status_code == 409
    moved = rebook(service, booking_id, at(MEETING_DAY, 9, 30), advisor_id=advisor)
    assert cancel(service, moved.get_json()["id"]).status_code == 200

    for n in (0, 1):
        cpr = fictitious_cpr(n)
        assert cpr not in caplog.text and f"{cpr[:6]}-{cpr[6:]}" not in caplog.text
