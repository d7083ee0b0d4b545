"""The public offer list (``offer_list``) is served from a kept answer that is always the
database's: a published, changed or withdrawn offer shows at once in every process, an offer
opens at its local midnight, and nothing is rebuilt while nothing changed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from services.booking import queries
from services.booking.offer_list import PreparedOfferList, offer_out
from services.booking.schemas import OfferListOut
from shared import events as ev
from tests.booking.conftest import TODAY, TOMORROW, BookingService, at, build_service


def database_answer(service: BookingService) -> Any:
    with service.context.db.transaction() as session:
        offers = queries.bookable_offers(session, service.clock.now)
        return json.loads(json.dumps(OfferListOut().dump({"offers": [offer_out(o) for o in offers]})))


def listed(service: BookingService) -> list[str]:
    response = service.client().get("/api/v1/offers")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == database_answer(service)
    return [offer["name"] for offer in response.get_json()["offers"]]


def test_the_list_follows_every_change_at_once_in_every_process(service: BookingService, booking_pg_url: str) -> None:
    other = build_service(booking_pg_url, known_citizens=False)
    other.clock.now = service.clock.now
    try:
        first = service.publish_offer(name="Jobsamtale")
        assert listed(service) == ["Jobsamtale"] and listed(other) == ["Jobsamtale"]
        service.publish_offer(name="CV-værksted")
        assert listed(other) == ["CV-værksted", "Jobsamtale"]
        withdrawn = first.model_dump() | {"active": False, "changed_at": at(TODAY, 8)}
        service.publish_offer(ev.OFFER_CHANGED, **withdrawn)
        assert listed(other) == ["CV-værksted"] and listed(service) == ["CV-værksted"]
    finally:
        other.context.close()


def test_an_offer_opens_at_midnight_and_an_unchanged_list_is_not_rebuilt(service: BookingService) -> None:
    service.publish_offer(name="Jobsamtale")
    service.publish_offer(name="Nyt tilbud", opens_on=TOMORROW)
    kept: PreparedOfferList = service.app.extensions["booking.offer_list"]
    assert listed(service) == ["Jobsamtale"]
    service.clock.now = at(TODAY, 23, 59)
    assert listed(service) == ["Jobsamtale"]
    assert kept.builds == 1  # nothing changed, and it is still today
    service.clock.now = at(TOMORROW, 0) + timedelta(seconds=1)
    assert listed(service) == ["Jobsamtale", "Nyt tilbud"]
    assert kept.builds == 2
