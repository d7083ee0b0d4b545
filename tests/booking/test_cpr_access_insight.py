"""The citizen's right of insight: who used their CPR number, when and why (issue 9).

An administrator searches by CPR number (in the body); the search is itself recorded. A
logged-in citizen sees the same list about themself, and nothing about anyone else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.demo.oidc_provider import EmbeddedOidcProvider
from shared import events as ev
from shared.auth.api_keys import create_api_key
from shared.auth.grants import parse_grants
from tests.auth.conftest import API_AUDIENCE
from tests.booking.conftest import BookingService, at, build_service, fictitious_cpr
from tests.booking.test_citizen_identity import (
    MEETING_DAY,
    PLANNER_X,
    X,
    booking_body,
    calling_as,
    for_citizen,
    log_in,
)
from tests.identities import IT_KEY, api_keys_setting

ADMIN_X = create_api_key("administrator X", parse_grants([f"administrator:{X}"]))
SEARCH, MINE = "/api/v1/access-log/search", "/api/v1/access-log/mine"


@pytest.fixture
def service(booking_pg_url: str, oidc_provider: EmbeddedOidcProvider) -> Iterator[BookingService]:
    """Booking trusting the provider's citizen tokens, a planner and an administrator of X."""
    built = build_service(
        booking_pg_url,
        citizen_oidc_issuer=oidc_provider.issuer,
        citizen_oidc_client_id="planner-citizens",
        token_audience=API_AUDIENCE,
        api_keys=api_keys_setting(IT_KEY, PLANNER_X, ADMIN_X),
    )
    yield built
    built.context.close()


@pytest.fixture
def offer_x(service: BookingService) -> ev.OfferPayload:
    """An offer of centre X with 09:00 free on MEETING_DAY."""
    offer = service.publish_offer(job_centre_code=X)
    service.compute(offer.offer_id, {offer.advisor_ids[0]: [at(MEETING_DAY, 9)]})
    return offer


def entries(response: Any) -> list[tuple[str, str, str, str]]:
    assert response.status_code == 200, response.get_json()
    return [(e["actor_kind"], e["actor"], e["purpose"], e["route"]) for e in response.get_json()["items"]]


def test_an_administrator_sees_every_use_of_one_citizens_number_and_the_search_is_recorded(
    service: BookingService, offer_x: ev.OfferPayload, oidc_provider: EmbeddedOidcProvider
) -> None:
    x = offer_x
    token = log_in(oidc_provider, 1)
    assert calling_as(service, token).post("/api/v1/bookings", json=booking_body(x)).status_code == 201
    planner = calling_as(service, PLANNER_X)
    assert planner.post("/api/v1/eligible-offers", json=for_citizen(1)).status_code == 200
    assert planner.post("/api/v1/eligible-offers", json=for_citizen(2)).status_code == 200  # someone else
    admin = calling_as(service, ADMIN_X)

    searched = ("system", f"machine:apikey:{ADMIN_X.stored.key_id}", "insight", SEARCH)
    first = entries(admin.post(SEARCH, json=for_citizen(1)))
    assert first == [
        searched,  # this search is a use of the number too
        ("system", f"machine:apikey:{PLANNER_X.stored.key_id}", "eligible_offers", "/api/v1/eligible-offers"),
        ("borger", "citizen-self", "booking", "/api/v1/bookings"),
    ]
    assert entries(admin.post(SEARCH, json=for_citizen(1))) == [searched, *first]


def test_a_citizen_sees_their_own_list_and_no_one_elses(
    service: BookingService, offer_x: ev.OfferPayload, oidc_provider: EmbeddedOidcProvider
) -> None:
    x = offer_x
    anna, bo = log_in(oidc_provider, 1), log_in(oidc_provider, 2)
    assert calling_as(service, anna).post("/api/v1/bookings", json=booking_body(x)).status_code == 201
    assert calling_as(service, PLANNER_X).post("/api/v1/eligible-offers", json=for_citizen(1)).status_code == 200

    mine = entries(calling_as(service, anna).get(MINE))
    assert [purpose for _, _, purpose, _ in mine] == ["eligible_offers", "booking"]
    assert entries(calling_as(service, bo).get(MINE)) == []
    body = calling_as(service, anna).get(MINE).get_data(as_text=True)
    assert fictitious_cpr(1) not in body


def test_only_administrators_search_and_a_wrong_number_is_not_repeated(service: BookingService) -> None:
    assert calling_as(service, PLANNER_X).post(SEARCH, json=for_citizen(1)).status_code == 403
    assert calling_as(service, PLANNER_X).get(MINE).status_code == 403
    refused = calling_as(service, ADMIN_X).post(SEARCH, json={"citizen": {"cpr": "3113999999"}})
    assert refused.status_code == 422
    assert "3113999999" not in refused.get_data(as_text=True)
