"""The booking API's problem documents are Danish, marshmallow's own messages included."""

from __future__ import annotations

import uuid

from tests.booking.conftest import BookingService
from tests.shared.test_danish_validation import assert_danish


def test_the_booking_api_answers_in_danish(service: BookingService) -> None:
    client = service.client()
    wrong_types = client.post("/api/v1/bookings", json={"offer_id": "x", "start": 7, "advisor_id": None, "extra": 1})
    found = assert_danish(wrong_types)
    assert "Skal være et gyldigt id (UUID)." in found and "Ukendt felt." in found
    missing = client.post("/api/v1/bookings", json={})
    assert "Feltet skal udfyldes." in assert_danish(missing)
    path = f"/api/v1/offers/{uuid.uuid4()}/meetings/{uuid.uuid4()}/seats"
    too_long = client.post(path, json={"citizen": {"cpr": "0101904000"}, "email": "a" * 300})
    assert "Må højst være 254 tegn lang." in assert_danish(too_long)
    not_an_object = client.post("/api/v1/eligible-offers", json={"citizen": "0101904000"})
    assert "Forventede et JSON-objekt." in assert_danish(not_an_object)
    times = client.get(f"/api/v1/offers/{uuid.uuid4()}/times", query_string={"from": "i morgen"})
    assert_danish(times)
