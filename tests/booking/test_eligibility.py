"""A citizen sees only the offers whose rules they satisfy (B-1), is refused with the reason
when booking one they may not (403), gets only the advisors a routed marker allows (R-5) and
no time after their personal deadline (B-2)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from services.booking.models import Booking, OfferView
from shared import events as ev
from tests.booking.conftest import TODAY, TOMORROW, BookingService, at, daily_starts, offer_payload


def one_group(*rules: tuple[str, str, Any], match: str = "all") -> dict[str, Any]:
    return {"groups": [{"match": match, "rules": [{"type": t, "condition": c, "value": v} for t, c, v in rules]}]}


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [offer["id"] for offer in response.get_json()["offers"]]


def test_a_citizen_sees_only_the_offers_they_may_book(service: BookingService) -> None:
    benefits = service.publish_offer(name="A: dagpenge")  # adults on unemployment benefit
    social = service.publish_offer(
        name="B: kontanthjælp", rules=one_group(("contact_group", "eq", "Kontanthjælpsmodtager"))
    )
    young = service.publish_offer(name="C: unge", rules=one_group(("age", "lt", 30)))
    service.add_citizens(30, contact_group="Kontanthjælpsmodtager")

    assert ids(service.eligible(0)) == [benefits.offer_id]
    assert ids(service.eligible(30)) == [social.offer_id]
    public = service.client().get("/api/v1/offers").get_json()["offers"]
    assert [o["id"] for o in public] == [benefits.offer_id, social.offer_id, young.offer_id]
    assert all(o["eligibility_required"] is True for o in public)


def test_booking_an_offer_one_may_not_is_403_with_the_reason(service: BookingService) -> None:
    offer = service.publish_offer(rules=one_group(("contact_group", "eq", "Kontanthjælpsmodtager"), ("age", "lt", 30)))
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})

    response = service.book(offer.offer_id, at(TOMORROW, 9), n=0, advisor_id=advisor)

    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "not_eligible" and problem["eligible"] is False
    assert problem["detail"] == (
        "Borgeren opfylder ikke reglerne for deltagere: Kontaktgruppe lig med Kontanthjælpsmodtager er ikke opfyldt: "
        "borgerens kontaktgruppe er Dagpengemodtager; Alder mindre end 30 er ikke opfyldt: borgeren er 36 år."
    )
    assert [r["rule"] for r in problem["failed"][0]["rules"]] == [1, 2]
    assert service.citizen_times(offer.offer_id, 0).status_code == 403
    assert service.count(Booking) == 0 and service.outbox() == []


def test_an_unknown_citizen_is_told_so(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})

    for response in (
        service.eligible(99),
        service.citizen_times(offer.offer_id, 99),
        service.book(offer.offer_id, at(TOMORROW, 9), n=99, advisor_id=advisor),
    ):
        assert response.status_code == 403
        problem = response.get_json()
        assert problem["code"] == "unknown_citizen" and "ingen oplysninger om dig" in problem["detail"]
    assert service.count(Booking) == 0


def test_eligibility_is_decided_on_the_booking_day(service: BookingService) -> None:
    offer = service.publish_offer(rules=one_group(("registration_weeks", "gte", 2)))
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(TOMORROW, 5, [(9, 0)])})
    service.add_citizens(31, registration_date=(TODAY - timedelta(days=13)).isoformat())  # 1 whole week today

    assert ids(service.eligible(31)) == []
    assert service.book(offer.offer_id, at(TODAY + timedelta(days=2), 9), n=31).status_code == 403
    service.clock.set_day(TODAY + timedelta(days=1))  # 2 whole weeks
    assert ids(service.eligible(31)) == [offer.offer_id]
    assert service.book(offer.offer_id, at(TODAY + timedelta(days=2), 9), n=31).status_code == 201


def test_the_personal_deadline_limits_times_and_bookings(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(TOMORROW, 6, [(9, 0), (15, 0)])})
    deadline = TOMORROW + timedelta(days=2)
    service.add_citizens(32, booking_deadline=deadline.isoformat())
    service.add_citizens(33, booking_deadline=deadline.isoformat(), last_meeting_date=TOMORROW.isoformat())

    def days(n: int) -> list[str]:
        response = service.citizen_times(offer.offer_id, n)
        assert response.status_code == 200, response.get_json()
        return sorted({t["start"][:10] for t in response.get_json()["times"]})

    assert days(32) == ["2026-12-08", "2026-12-09", "2026-12-10"]  # up to and including the deadline
    assert days(33) == ["2026-12-08"]  # the earlier of deadline and last meeting date wins
    assert len(days(0)) == 6  # no personal limit
    late = service.book(offer.offer_id, at(deadline + timedelta(days=1), 9), n=32, advisor_id=advisor)
    assert late.status_code == 400 and late.get_json()["detail"] == (
        "Tiden ligger efter din frist. Vælg en tid senest den 10.12.2026."
    )
    assert service.book(offer.offer_id, at(deadline, 15), n=32, advisor_id=advisor).status_code == 201


def test_a_routed_marker_limits_the_advisors(service: BookingService) -> None:
    anne, bo = sorted([str(uuid.uuid4()), str(uuid.uuid4())])
    offer = service.publish_offer(advisor_ids=[anne, bo], marker_routes={"STAT-SENIOR": [bo]})
    service.compute(offer.offer_id, {anne: [at(TOMORROW, 9), at(TOMORROW, 10)], bo: [at(TOMORROW, 10)]})
    service.add_citizens(34, person_group_markers=["STAT-SENIOR"])

    senior = service.citizen_times(offer.offer_id, 34).get_json()["times"]
    assert [(t["start"][11:16], t["advisor_id"]) for t in senior] == [("10:00", bo)]
    everyone = service.citizen_times(offer.offer_id, 0).get_json()["times"]
    assert {t["advisor_id"] for t in everyone} == {anne, bo}

    refused = service.book(offer.offer_id, at(TOMORROW, 9), n=34, advisor_id=anne)
    assert refused.status_code == 403 and refused.get_json()["code"] == "advisor_not_allowed"
    assert service.book(offer.offer_id, at(TOMORROW, 10), n=34, advisor_id=bo).status_code == 201


def test_without_advisor_choice_a_routed_citizen_gets_the_linked_advisor(service: BookingService) -> None:
    anne, bo = str(uuid.uuid4()), str(uuid.uuid4())
    offer = service.publish_offer(
        advisor_ids=[anne, bo], citizen_may_choose_advisor=False, marker_routes={"STAT-SENIOR": [bo]}
    )
    service.compute(offer.offer_id, {anne: [at(TOMORROW, 9)], bo: [at(TOMORROW, 9)]})
    service.add_citizens(35, person_group_markers=["STAT-SENIOR"])

    booked = service.book(offer.offer_id, at(TOMORROW, 9), n=35)

    assert booked.status_code == 201 and booked.get_json()["advisor_id"] == bo  # anne comes first, but is not linked


def test_the_list_follows_offer_changes_at_once(service: BookingService) -> None:
    offer = service.publish_offer()
    cache = service.app.extensions["booking.eligibility"]
    assert ids(service.eligible(0)) == [offer.offer_id]
    builds = cache.builds
    assert ids(service.eligible(1)) == [offer.offer_id] and cache.builds == builds  # nothing changed: no rebuild

    later = offer.changed_at + timedelta(minutes=5)
    service.publish_offer(
        ev.OFFER_CHANGED, offer_id=offer.offer_id, changed_at=later, rules=one_group(("age", "lt", 30))
    )
    assert ids(service.eligible(0)) == []
    service.publish_offer(ev.OFFER_CHANGED, offer_id=offer.offer_id, changed_at=later + timedelta(minutes=1))
    assert ids(service.eligible(0)) == [offer.offer_id] and cache.builds == builds + 2


def test_an_offer_from_before_rules_is_shown_to_nobody(service: BookingService) -> None:
    legacy = offer_payload(rules=None)
    assert legacy.marker_routes == {}
    old_event = legacy.envelope(ev.OFFER_PUBLISHED)
    del old_event.payload["rules"], old_event.payload["marker_routes"]  # as published before rules existed
    assert service.deliver(old_event)

    assert service.count(OfferView) == 1
    assert service.client().get("/api/v1/offers").get_json()["offers"] == []
    assert service.client().get(f"/api/v1/offers/{legacy.offer_id}").status_code == 404
    assert ids(service.eligible(0)) == []


def test_broken_rules_in_an_event_are_skipped(service: BookingService) -> None:
    broken = offer_payload(rules={"groups": [{"match": "all", "rules": []}]})
    assert service.deliver(broken.envelope(ev.OFFER_PUBLISHED)) is False
    assert service.count(OfferView) == 0


def test_opening_day_still_hides_an_offer_from_eligible_citizens(service: BookingService) -> None:
    offer = service.publish_offer(opens_on=date(2026, 12, 10), first_meeting_date=date(2026, 12, 10))
    assert ids(service.eligible(0)) == []
    service.clock.set_day(date(2026, 12, 10))
    assert ids(service.eligible(0)) == [offer.offer_id]
