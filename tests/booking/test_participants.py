"""Who booked an offer, as staff ask booking for it (``POST /api/v1/offers/{id}/participants``),
on PostgreSQL: the active bookings with the citizens' names, contact groups, ages and
deadlines; found by name or by CPR number; CPR numbers masked unless asked for, and each
number given in full, or searched for, in the CPR access log with the caller; a group
offer's seats have no advisor but their meeting, and can be asked for by meeting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.booking.models import CprAccessLog
from shared.auth.api_keys import create_api_key
from shared.auth.grants import parse_grants
from tests.booking.conftest import TOMORROW, BookingService, at, build_service, fictitious_cpr
from tests.booking.test_group_seats import publish_group, seat
from tests.identities import IT_KEY, api_keys_setting, bearer
from tests.offers.conftest import IT_ACTOR

ROUTE = "/api/v1/offers/<uuid:offer_id>/participants"


def participants(service: BookingService, offer_id: str, expect: int = 200, **body: Any) -> Any:
    response = service.client().post(f"/api/v1/offers/{offer_id}/participants", json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def access_log(service: BookingService) -> list[tuple[str, str, str]]:
    with service.context.db.transaction() as session:
        rows = session.scalars(select(CprAccessLog).where(CprAccessLog.route == ROUTE).order_by(CprAccessLog.id))
        return [(row.actor, row.purpose, service.vault.unseal(row.subject_cpr_sealed).digits) for row in rows]


def booked(service: BookingService) -> tuple[str, list[str]]:
    """An offer with three citizens booked (2 at 09:00, 0 at 08:00, 1 at 10:00), one moved away."""
    offer = service.publish_offer()
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(TOMORROW, h) for h in (8, 9, 10, 11)]})
    service.add_citizens(3, name="Carl Sørensen", booking_deadline="2026-12-31")
    ids = []
    for n, hour in ((2, 9), (0, 8), (1, 10), (3, 11)):
        response = service.book(offer.offer_id, at(TOMORROW, hour), n=n)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    cancelled = service.client().post(f"/api/v1/bookings/{ids[3]}/cancel", json={"citizen": {"cpr": fictitious_cpr(3)}})
    assert cancelled.status_code == 200, cancelled.get_json()
    return offer.offer_id, ids


def test_staff_see_who_booked_with_numbers_masked(service: BookingService) -> None:
    offer_id, _ = booked(service)
    answer = participants(service, offer_id)
    assert answer["total"] == 3
    assert [p["name"] for p in answer["items"]] == ["Borger 0", "Borger 2", "Borger 1"]  # by the meeting's start
    first = answer["items"][0]
    assert first["cpr"] is None and first["cpr_masked"] == "010190-XXXX"
    assert first["age"] == 36 and first["contact_group"] == "Dagpengemodtager"  # born 1 January 1990
    assert datetime.fromisoformat(first["start"]) == at(TOMORROW, 8)
    assert access_log(service) == []  # no number was shown


def test_a_search_finds_a_name_or_a_cpr_number_and_the_search_is_logged(service: BookingService) -> None:
    offer_id, _ = booked(service)
    assert [p["name"] for p in participants(service, offer_id, search="borger 1")["items"]] == ["Borger 1"]
    hyphen = f"{fictitious_cpr(2)[:6]}-{fictitious_cpr(2)[6:]}"
    assert [p["name"] for p in participants(service, offer_id, search=hyphen)["items"]] == ["Borger 2"]
    assert participants(service, offer_id, search=fictitious_cpr(3))["items"] == []  # cancelled
    assert participants(service, offer_id, search="%")["items"] == []  # a name, not a pattern
    assert access_log(service) == [
        (IT_ACTOR, "participant_search", fictitious_cpr(2)),
        (IT_ACTOR, "participant_search", fictitious_cpr(3)),
    ]


def test_a_full_number_is_given_only_when_asked_for_and_logged(service: BookingService) -> None:
    offer_id, ids = booked(service)
    answer = participants(service, offer_id, reveal=[ids[1]])
    shown = {p["name"]: p["cpr"] for p in answer["items"]}
    assert shown == {"Borger 0": "010190-4000", "Borger 2": None, "Borger 1": None}
    everyone = participants(service, offer_id, reveal_all=True)
    assert [p["cpr"] for p in everyone["items"]] == ["010190-4000", "010190-4002", "010190-4001"]
    assert access_log(service) == [
        (IT_ACTOR, "participant_list", fictitious_cpr(0)),
        *((IT_ACTOR, "participant_list", fictitious_cpr(n)) for n in (0, 2, 1)),
    ]


def test_an_unknown_offer_is_not_found(service: BookingService) -> None:
    booked(service)
    unknown = participants(service, "6f1c1f7e-0000-4000-8000-000000000000", 404)
    assert unknown["detail"] == "Tilbuddet findes ikke."  # who else may ask: tests/auth/test_matrix.py


def test_bookings_are_looked_up_by_id_with_the_citizens_contact_but_no_cpr(service: BookingService) -> None:
    _, ids = booked(service)
    body = {"booking_ids": [ids[0], ids[3], "6f1c1f7e-0000-4000-8000-000000000000"]}
    answer = service.client().post("/api/v1/bookings/lookup", json=body)
    assert answer.status_code == 200, answer.get_json()
    items = {item["booking_id"]: item for item in answer.get_json()["items"]}
    assert set(items) == {ids[0], ids[3]}  # an unknown id is left out
    assert items[ids[0]]["name"] == "Borger 2" and items[ids[0]]["cancelled"] is False
    assert items[ids[3]]["cancelled"] is True
    assert fictitious_cpr(2) not in answer.get_data(as_text=True)
    assert access_log(service) == []


def test_a_caller_gets_only_the_bookings_of_centres_they_may_read(service: BookingService, booking_pg_url: str) -> None:
    _, ids = booked(service)  # at 10101
    west = service.publish_offer(job_centre_code="20202")
    advisor = west.advisor_ids[0]
    service.compute(west.offer_id, {advisor: [at(TOMORROW, 13)]})
    theirs = service.book(west.offer_id, at(TOMORROW, 13), n=5)
    assert theirs.status_code == 201, theirs.get_json()
    reader = create_api_key("reader at 20202", parse_grants(["reader:20202"]))
    other = build_service(booking_pg_url, known_citizens=False, api_keys=api_keys_setting(IT_KEY, reader))
    try:
        body = {"booking_ids": [ids[0], theirs.get_json()["id"]]}
        answer = other.client().post("/api/v1/bookings/lookup", json=body, headers=bearer(reader))
        assert [item["booking_id"] for item in answer.get_json()["items"]] == [theirs.get_json()["id"]]
        listed = other.client().post(f"/api/v1/offers/{service.bookings()[0].offer_id}/participants", json={},
                                     headers=bearer(reader))  # fmt: skip
        assert listed.status_code == 404  # 10101's offer, as if it did not exist
    finally:
        other.context.close()


def test_a_group_meetings_seats_are_listed_without_an_advisor_and_by_meeting(service: BookingService) -> None:
    offer = publish_group(service, (0, 5, 0), (7, 5, 0))
    first, later = offer.meetings
    service.add_citizens(0, 1, 2)
    for n, meeting in ((0, first), (1, later), (2, first)):
        assert seat(service, offer, meeting, n).status_code == 201
    everyone = participants(service, offer.offer_id)["items"]
    assert sorted((p["name"], p["advisor_id"], p["group_meeting_id"]) for p in everyone) == [
        ("Borger 0", None, first.meeting_id), ("Borger 1", None, later.meeting_id),
        ("Borger 2", None, first.meeting_id),
    ]  # fmt: skip
    assert everyone[-1]["name"] == "Borger 1"  # by the meeting's start
    one = participants(service, offer.offer_id, meeting_id=first.meeting_id, reveal_all=True)["items"]
    assert sorted((p["name"], p["cpr"]) for p in one) == [("Borger 0", "010190-4000"), ("Borger 2", "010190-4002")]
    assert sorted(access_log(service)) == [(IT_ACTOR, "participant_list", fictitious_cpr(n)) for n in (0, 2)]
    elsewhere = publish_group(service, (1, 5, 0)).meetings[0].meeting_id  # another offer's meeting: none of these
    assert participants(service, offer.offer_id, meeting_id=elsewhere)["items"] == []


def test_an_individual_offers_participants_have_their_advisor_and_no_meeting(service: BookingService) -> None:
    offer_id, _ = booked(service)
    items = participants(service, offer_id)["items"]
    assert all(p["advisor_id"] and p["group_meeting_id"] is None for p in items)
    assert participants(service, offer_id, meeting_id="6f1c1f7e-0000-4000-8000-000000000000")["items"] == []
