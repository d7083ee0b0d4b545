"""A citizen books a time: it is gone at once, everywhere the advisor is; errors are clear (B-2, B-6)."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import date, timedelta

import pytest

from services.booking.models import Booking, OutboxMessage
from shared import events as ev
from tests.booking.conftest import TOMORROW, BookingService, at, daily_starts, fictitious_cpr

PHONE_STARTS = [(7, 0), (7, 15), (7, 30), (7, 45), (8, 0), (8, 15), (8, 30), (8, 45), (9, 0)]


def _nothing_written(service: BookingService) -> None:
    assert service.count(Booking) == 0
    assert service.count(OutboxMessage) == 0


def test_a_booking_removes_its_time_and_overlaps_in_every_offer_of_the_advisor(service: BookingService) -> None:
    anne, bo = str(uuid.uuid4()), str(uuid.uuid4())
    meeting = service.publish_offer(advisor_ids=[anne, bo])  # 30 min + 15 min reporting
    phone = service.publish_offer(
        name="Telefonsamtale", channel="phone", duration_minutes=60, reporting_minutes=0,
        start_minutes=[0, 15, 30, 45], advisor_ids=[anne],
    )  # fmt: skip
    starts = daily_starts(TOMORROW, 1, [(8, 0), (8, 30), (9, 0), (9, 30)])
    service.compute(meeting.offer_id, {anne: starts, bo: starts})
    service.compute(phone.offer_id, {anne: daily_starts(TOMORROW, 1, PHONE_STARTS)})

    response = service.book(meeting.offer_id, at(TOMORROW, 8), advisor_id=anne)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["advisor_id"] == anne and body["offer_id"] == meeting.offer_id
    assert body["start"] == "2026-12-08T08:00:00+01:00" and body["end"] == "2026-12-08T08:30:00+01:00"
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", body["reference"])
    # Occupied 08:00-08:45: 08:30 collides with the reporting time; 09:00 is free again.
    assert service.local_starts(meeting.offer_id, anne, TOMORROW) == ["09:00", "09:30"]
    assert service.local_starts(meeting.offer_id, bo, TOMORROW) == ["08:00", "08:30", "09:00", "09:30"]
    # The one-hour phone meetings of the same advisor that would overlap 08:00-08:45 are gone too.
    assert service.local_starts(phone.offer_id, anne, TOMORROW) == ["07:00", "08:45", "09:00"]


def test_booking_created_goes_to_the_outbox_without_the_cpr_number(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})

    response = service.book(offer.offer_id, at(TOMORROW, 9), n=7, advisor_id=advisor)

    assert response.status_code == 201
    text = response.get_data(as_text=True)
    assert "cpr" not in text.lower() and fictitious_cpr(7) not in text
    [message] = service.outbox()
    assert message.event_type == ev.BOOKING_CREATED
    assert fictitious_cpr(7) not in message.body and "010190-4007" not in message.body
    assert "cpr" not in message.body.lower()
    envelope = ev.Envelope.from_json(message.body)
    payload = ev.BookingPayload.model_validate(envelope.payload)
    assert payload.booking_id == response.get_json()["id"]
    assert payload.advisor_id == advisor and payload.offer_name == "Jobsamtale"
    assert payload.start == at(TOMORROW, 9)
    assert payload.end == at(TOMORROW, 9, 30) and payload.occupied_until == at(TOMORROW, 9, 45)
    assert set(json.loads(message.body)["payload"]) == set(ev.BookingPayload.model_fields)


def test_the_booking_can_be_read_back_without_cpr_and_keeps_the_offers_terms(service: BookingService) -> None:
    offer = service.publish_offer(accept_cancellation=True, rebooking_days_before=3)
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})
    booking_id = service.book(offer.offer_id, at(TOMORROW, 9), advisor_id=advisor).get_json()["id"]
    service.publish_offer(
        "offer.changed", offer_id=offer.offer_id, advisor_ids=offer.advisor_ids, accept_cancellation=False,
        rebooking_days_before=None, changed_at=offer.changed_at + timedelta(days=1),
    )  # fmt: skip

    response = service.client().get(f"/api/v1/bookings/{booking_id}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["accept_cancellation"] is True and body["rebooking_days_before"] == 3
    assert body["cancelled_at"] is None and body["start"] == "2026-12-08T09:00:00+01:00"
    assert "cpr" not in response.get_data(as_text=True).lower()
    assert service.client().get(f"/api/v1/bookings/{uuid.uuid4()}").status_code == 404


def test_a_citizen_cannot_hold_two_active_bookings_in_one_offer(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9), at(TOMORROW, 11)]})
    assert service.book(offer.offer_id, at(TOMORROW, 9), n=1, advisor_id=advisor).status_code == 201

    response = service.book(offer.offer_id, at(TOMORROW, 11), n=1, advisor_id=advisor)

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "allerede en booking" in response.get_json()["detail"]
    assert service.count(Booking) == 1
    # Another citizen may book the other time.
    assert service.book(offer.offer_id, at(TOMORROW, 11), n=2, advisor_id=advisor).status_code == 201


def test_a_taken_time_gives_409(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})
    assert service.book(offer.offer_id, at(TOMORROW, 9), n=1, advisor_id=advisor).status_code == 201

    response = service.book(offer.offer_id, at(TOMORROW, 9), n=2, advisor_id=advisor)

    assert response.status_code == 409
    assert response.get_json()["detail"] == "Tiden er ikke længere ledig. Vælg en anden tid."


def test_without_advisor_choice_the_next_free_advisor_is_booked(service: BookingService) -> None:
    anne, bo = str(uuid.uuid4()), str(uuid.uuid4())
    offer = service.publish_offer(advisor_ids=[anne, bo], citizen_may_choose_advisor=False)
    service.compute(offer.offer_id, {anne: [at(TOMORROW, 9)], bo: [at(TOMORROW, 9)]})

    first = service.book(offer.offer_id, at(TOMORROW, 9), n=1)
    second = service.book(offer.offer_id, at(TOMORROW, 9), n=2)
    third = service.book(offer.offer_id, at(TOMORROW, 9), n=3)

    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 409)
    assert [first.get_json()["advisor_id"], second.get_json()["advisor_id"]] == [anne, bo]
    assert service.times(offer.offer_id) == []
    chosen = service.book(offer.offer_id, at(TOMORROW, 9), n=4, advisor_id=anne)
    assert chosen.status_code == 400 and "vælge vejleder" in chosen.get_json()["detail"]


def test_an_invalid_cpr_number_is_refused_and_nothing_is_written(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})
    body = {"offer_id": offer.offer_id, "advisor_id": advisor, "start": at(TOMORROW, 9).isoformat()}

    for cpr in ("123", "3213904000", "abcdefghij"):
        response = service.client().post("/api/v1/bookings", json={**body, "citizen": {"cpr": cpr}})
        assert response.status_code == 422, cpr
        problem = response.get_json()
        assert response.mimetype == "application/problem+json"
        assert "CPR-nummeret" in problem["detail"] and problem["errors"]["citizen"]["cpr"]
        assert cpr not in response.get_data(as_text=True)
    missing = service.client().post("/api/v1/bookings", json=body)
    assert missing.status_code == 422 and "citizen" in missing.get_json()["errors"]
    _nothing_written(service)


def test_a_time_without_utc_offset_is_refused(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})

    response = service.client().post(
        "/api/v1/bookings",
        json={"offer_id": offer.offer_id, "start": "2026-12-08T09:00:00", "citizen": {"cpr": fictitious_cpr()}},
    )

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "start" in response.get_json()["errors"]
    _nothing_written(service)


def test_an_unknown_offer_is_a_404_problem(service: BookingService) -> None:
    response = service.book(str(uuid.uuid4()), at(TOMORROW, 9))

    assert response.status_code == 404
    assert response.get_json()["detail"] == "Tilbuddet findes ikke, eller det kan ikke bookes lige nu."
    _nothing_written(service)


def test_a_time_outside_the_period_is_a_clear_400(service: BookingService) -> None:
    offer = service.publish_offer(end_date=date(2026, 12, 18))
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(date(2026, 12, 7), 20, [(9, 0)])})

    for start in (at(date(2026, 12, 7), 9), at(date(2026, 12, 21), 9)):  # today (no notice) / after the end
        response = service.book(offer.offer_id, start, advisor_id=advisor)
        assert response.status_code == 400
        assert response.get_json()["detail"] == (
            "Tiden ligger uden for den periode, der kan bookes i. Vælg en tid fra 08.12.2026 til og med 18.12.2026."
        )
    not_offered = service.book(offer.offer_id, at(TOMORROW, 9, 15), advisor_id=advisor)
    assert not_offered.status_code == 409
    _nothing_written(service)


def test_an_advisor_not_on_the_offer_is_refused(service: BookingService) -> None:
    offer = service.publish_offer()
    service.compute(offer.offer_id, {offer.advisor_ids[0]: [at(TOMORROW, 9)]})

    response = service.book(offer.offer_id, at(TOMORROW, 9), advisor_id=str(uuid.uuid4()))

    assert response.status_code == 422
    assert "advisor_id" in response.get_json()["errors"]
    _nothing_written(service)


def test_no_cpr_number_reaches_a_log(service: BookingService, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})

    assert service.book(offer.offer_id, at(TOMORROW, 9), n=1, advisor_id=advisor).status_code == 201
    assert service.book(offer.offer_id, at(TOMORROW, 9), n=1, advisor_id=advisor).status_code == 409
    assert service.book(offer.offer_id, at(TOMORROW, 9), n=2, advisor_id=advisor).status_code == 409

    assert "booking" in caplog.text  # the booking was logged, by its reference
    assert fictitious_cpr(1) not in caplog.text and fictitious_cpr(2) not in caplog.text
