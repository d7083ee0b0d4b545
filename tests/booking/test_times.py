"""A citizen sees active, opened offers and the times inside the booking period (B-1, B-2, O-8)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from tests.booking.conftest import CPH, TODAY, TOMORROW, BookingService, at, daily_starts

NINE_TO_ELEVEN = [(9, 0), (9, 30), (10, 0), (10, 30)]


def test_a_days_notice_hides_the_rest_of_today_and_tomorrow_is_bookable(service: BookingService) -> None:
    """B-2 / O-13: a self-booking needs 1 day's notice ("1 dags varsel"), i.e. tomorrow at the
    earliest (booking_notice_days=1), counted in days, not hours."""
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(TODAY, 3, NINE_TO_ELEVEN)})
    assert service.clock.now == at(TODAY, 9)  # today's 09:30-10:30 are still ahead, yet not offered

    assert service.local_starts(offer.offer_id, advisor, TODAY) == []
    assert service.local_starts(offer.offer_id, advisor, TOMORROW) == ["09:00", "09:30", "10:00", "10:30"]

    service.clock.set_day(TODAY, 23)  # late in the evening tomorrow morning is still bookable
    assert service.local_starts(offer.offer_id, advisor, TOMORROW) == ["09:00", "09:30", "10:00", "10:30"]
    service.clock.set_day(TOMORROW, 7)  # the next morning it is the booking day itself
    assert service.local_starts(offer.offer_id, advisor, TOMORROW) == []
    day_after = TOMORROW + timedelta(days=1)
    assert service.local_starts(offer.offer_id, advisor, day_after) == ["09:00", "09:30", "10:00", "10:30"]


def test_times_carry_utc_offsets_end_and_advisor(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, 9)]})

    [item] = service.times(offer.offer_id)
    assert item == {"start": "2026-12-08T09:00:00+01:00", "end": "2026-12-08T09:30:00+01:00", "advisor_id": advisor}


def test_a_first_meeting_date_in_the_future_starts_the_period(service: BookingService) -> None:
    offer = service.publish_offer(first_meeting_date=date(2026, 12, 10))
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(TOMORROW, 4, [(9, 0)])})

    assert service.local_starts(offer.offer_id, advisor) == ["2026-12-10 09:00", "2026-12-11 09:00"]


def test_an_offer_is_hidden_until_its_opening_date(service: BookingService) -> None:
    offer = service.publish_offer(opens_on=date(2026, 12, 10), first_meeting_date=date(2026, 12, 10))
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(TOMORROW, 6, [(9, 0)])})
    client = service.client()

    assert client.get("/api/v1/offers").get_json() == {"offers": []}
    for path in (f"/api/v1/offers/{offer.offer_id}", f"/api/v1/offers/{offer.offer_id}/times"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"]

    service.clock.set_day(date(2026, 12, 10))
    assert [o["id"] for o in client.get("/api/v1/offers").get_json()["offers"]] == [offer.offer_id]
    assert client.get(f"/api/v1/offers/{offer.offer_id}").get_json()["name"] == "Jobsamtale"
    assert service.local_starts(offer.offer_id, advisor) == ["2026-12-11 09:00", "2026-12-12 09:00", "2026-12-13 09:00"]


def test_a_fixed_end_date_is_the_last_bookable_day(service: BookingService) -> None:
    offer = service.publish_offer(end_date=date(2026, 12, 9))
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(TOMORROW, 4, [(9, 0), (15, 30)])})

    assert service.local_starts(offer.offer_id, advisor) == [
        "2026-12-08 09:00",
        "2026-12-08 15:30",
        "2026-12-09 09:00",
        "2026-12-09 15:30",
    ]


def test_rolling_weeks_count_from_the_day_the_citizen_books(service: BookingService) -> None:
    offer = service.publish_offer(rolling_weeks=1)
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(TOMORROW, 10, [(9, 0)])})

    days = [s[:10] for s in service.local_starts(offer.offer_id, advisor)]
    assert days[0] == "2026-12-08" and days[-1] == "2026-12-14"

    service.clock.set_day(TODAY + timedelta(days=2))
    days = [s[:10] for s in service.local_starts(offer.offer_id, advisor)]
    assert days[0] == "2026-12-10" and days[-1] == "2026-12-16"


def test_the_earlier_of_fixed_end_and_rolling_end_wins(service: BookingService) -> None:
    offer = service.publish_offer(rolling_weeks=2, end_date=date(2026, 12, 11))
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(TOMORROW, 20, [(9, 0)])})

    assert service.local_starts(offer.offer_id, advisor)[-1] == "2026-12-11 09:00"


def test_an_inactive_offer_and_a_group_offer_are_not_shown(service: BookingService) -> None:
    inactive = service.publish_offer(active=False)
    group = service.publish_offer(meeting_form="group")
    visible = service.publish_offer(name="Synlig")

    listed = service.client().get("/api/v1/offers").get_json()["offers"]
    assert [o["id"] for o in listed] == [visible.offer_id]
    assert service.client().get(f"/api/v1/offers/{inactive.offer_id}/times").status_code == 404
    assert service.client().get(f"/api/v1/offers/{group.offer_id}").status_code == 404


def test_without_advisor_choice_each_start_is_listed_once_without_advisor(service: BookingService) -> None:
    anne, bo = str(uuid.uuid4()), str(uuid.uuid4())
    offer = service.publish_offer(advisor_ids=[anne, bo], citizen_may_choose_advisor=False)
    service.compute(offer.offer_id, {anne: [at(TOMORROW, 9), at(TOMORROW, 10)], bo: [at(TOMORROW, 9)]})

    assert service.times(offer.offer_id) == [
        {"start": "2026-12-08T09:00:00+01:00", "end": "2026-12-08T09:30:00+01:00"},
        {"start": "2026-12-08T10:00:00+01:00", "end": "2026-12-08T10:30:00+01:00"},
    ]


def test_with_advisor_choice_each_advisor_has_its_own_times_and_can_be_filtered(service: BookingService) -> None:
    anne, bo = sorted([str(uuid.uuid4()), str(uuid.uuid4())])
    offer = service.publish_offer(advisor_ids=[anne, bo])
    service.compute(offer.offer_id, {anne: [at(TOMORROW, 9), at(TOMORROW, 10)], bo: [at(TOMORROW, 9)]})

    pairs = [(t["start"][11:16], t["advisor_id"]) for t in service.times(offer.offer_id)]
    assert pairs == [("09:00", anne), ("09:00", bo), ("10:00", anne)]
    only_bo = service.times(offer.offer_id, advisor_id=bo)
    assert [t["advisor_id"] for t in only_bo] == [bo]


def test_from_and_to_narrow_the_times(service: BookingService) -> None:
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: daily_starts(TOMORROW, 3, [(9, 0), (14, 0)])})

    found = service.times(
        offer.offer_id, **{"from": at(TOMORROW, 12).isoformat(), "to": at(TOMORROW + timedelta(days=1), 12).isoformat()}
    )
    starts = [datetime.fromisoformat(t["start"]).astimezone(CPH) for t in found]
    assert starts == [at(TOMORROW, 14), at(TOMORROW + timedelta(days=1), 9)]


def test_a_naive_from_is_refused_with_a_problem(service: BookingService) -> None:
    offer = service.publish_offer()
    response = service.client().get(f"/api/v1/offers/{offer.offer_id}/times?from=2026-12-08T09:00:00")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "from" in str(response.get_json()["errors"])


def test_an_advisor_removed_from_the_offer_is_no_longer_offered(service: BookingService) -> None:
    anne, bo = str(uuid.uuid4()), str(uuid.uuid4())
    offer = service.publish_offer(advisor_ids=[anne, bo])
    service.compute(offer.offer_id, {anne: [at(TOMORROW, 9)], bo: [at(TOMORROW, 10)]})
    service.publish_offer(
        "offer.changed", offer_id=offer.offer_id, advisor_ids=[bo], changed_at=offer.changed_at + timedelta(hours=1)
    )

    assert {t["advisor_id"] for t in service.times(offer.offer_id)} == {bo}
