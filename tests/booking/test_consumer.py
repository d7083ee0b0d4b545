"""The read models follow the events: once each, newest wins, in any order."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.booking.models import BookableTime, OfferView, ProcessedEvent
from shared import events as ev
from tests.booking.conftest import TOMORROW, BookingService, at, offer_payload


def test_a_redelivered_event_is_applied_once(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    envelope = service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})
    before = service.count(ProcessedEvent)

    assert service.deliver(envelope) is False
    assert service.deliver(offer.envelope(ev.OFFER_PUBLISHED)) is True  # a new envelope id: applied
    same = offer.envelope(ev.OFFER_PUBLISHED)
    assert service.deliver(same) is True
    assert service.deliver(same) is False

    assert service.count(ProcessedEvent) == before + 2
    assert service.count(BookableTime) == 1


def test_an_older_offer_event_does_not_overwrite_a_newer_one(service: BookingService) -> None:
    offer = service.publish_offer(name="Første navn")
    newer = offer.model_copy(update={"name": "Nyt navn", "changed_at": offer.changed_at + timedelta(hours=2)})
    older = offer.model_copy(update={"name": "Gammelt navn", "changed_at": offer.changed_at + timedelta(hours=1)})

    assert service.deliver(newer.envelope(ev.OFFER_CHANGED))
    assert service.deliver(older.envelope(ev.OFFER_CHANGED))  # processed, but changes nothing

    assert service.client().get(f"/api/v1/offers/{offer.offer_id}").get_json()["name"] == "Nyt navn"


def test_deactivating_an_offer_hides_it(service: BookingService) -> None:
    offer = service.publish_offer()
    service.compute(offer.offer_id, {offer.advisor_ids[0]: [at(TOMORROW, 9)]})
    service.publish_offer(
        ev.OFFER_CHANGED, offer_id=offer.offer_id, active=False, changed_at=offer.changed_at + timedelta(minutes=1)
    )

    assert service.client().get(f"/api/v1/offers/{offer.offer_id}/times").status_code == 404
    assert service.client().get("/api/v1/offers").get_json()["offers"] == []


def test_an_older_availability_snapshot_does_not_overwrite_a_newer_one(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    computed = at(TOMORROW, 0) - timedelta(days=1)
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 10), at(TOMORROW, 11)]}, computed_at=computed)
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]}, computed_at=computed - timedelta(minutes=5))

    assert service.local_starts(offer.offer_id, advisor, TOMORROW) == ["10:00", "11:00"]

    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 14)]}, computed_at=computed + timedelta(minutes=5))
    assert service.local_starts(offer.offer_id, advisor, TOMORROW) == ["14:00"]


def test_a_snapshot_replaces_only_its_own_offer(service: BookingService) -> None:
    first, second = service.publish_offer(), service.publish_offer()
    service.compute(first.offer_id, {first.advisor_ids[0]: [at(TOMORROW, 9)]})
    service.compute(second.offer_id, {second.advisor_ids[0]: [at(TOMORROW, 10)]})
    service.compute(first.offer_id, {})

    assert service.times(first.offer_id) == []
    assert len(service.times(second.offer_id)) == 1


def test_times_may_arrive_before_the_offer(service: BookingService) -> None:
    payload = offer_payload()
    service.compute(payload.offer_id, {payload.advisor_ids[0]: [at(TOMORROW, 9)]})
    assert service.client().get(f"/api/v1/offers/{payload.offer_id}/times").status_code == 404

    service.deliver(payload.envelope(ev.OFFER_PUBLISHED))
    assert len(service.times(payload.offer_id)) == 1


def test_unknown_types_versions_and_broken_payloads_are_skipped(service: BookingService) -> None:
    assert service.deliver(ev.Envelope(type=ev.ADVISOR_CHANGED, payload={"advisor_id": str(uuid.uuid4())})) is False
    assert service.deliver(ev.Envelope(type="something.else", payload={})) is False
    assert service.deliver(offer_payload().envelope(ev.OFFER_PUBLISHED, version=2)) is False
    assert service.deliver(ev.Envelope(type=ev.OFFER_PUBLISHED, payload={"offer_id": "x"})) is False

    assert service.count(OfferView) == 0
    assert service.count(ProcessedEvent) == 0
