"""Citizens act for themselves after a real login, staff act for a citizen only at their own
job centres, and anonymous callers get the public listings only (issue 9).

Citizens log in at the embedded OpenID Connect provider (the demo's) and call with the
access token it issues (a signed JWT with the CPR claim and the API's audience), as a
citizen app would. Staff are API keys with a role at one job centre each; IT's key
(``IT_KEY``) has the planner and administrator roles at every centre."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from services.booking.models import CitizenProfileRow, CprAccessLog
from services.demo.oidc_provider import EmbeddedOidcProvider, User, start_oidc_provider
from shared import events as ev
from shared.auth.api_keys import NewApiKey, create_api_key
from shared.auth.grants import parse_grants
from tests.auth.conftest import API_AUDIENCE, CPR_CLAIM
from tests.booking.conftest import TODAY, TOMORROW, BookingService, at, build_service, citizen_profile, fictitious_cpr
from tests.identities import IT_KEY, anonymous, api_keys_setting, bearer
from tests.login import tokens_for

X, Y = "10101", "20202"
PLANNER_X = create_api_key("planner X", parse_grants([f"planner:{X}"]))
PLANNER_Y = create_api_key("planner Y", parse_grants([f"planner:{Y}"]))
READER_X = create_api_key("reader X", parse_grants([f"reader:{X}"]))
MEETING_DAY = TODAY + timedelta(days=3)  # Thursday; the offers allow rebooking until 2 days before
PUBLIC = {
    ("GET", "/api/v1/offers"),
    ("GET", "/api/v1/offers/<uuid:offer_id>"),
    ("GET", "/api/v1/offers/<uuid:offer_id>/times"),
    ("GET", "/api/v1/offers/<uuid:offer_id>/meetings"),
}
PROTECTED = {
    ("POST", "/api/v1/offers/<uuid:offer_id>/times"),
    ("POST", "/api/v1/offers/<uuid:offer_id>/participants"),
    ("POST", "/api/v1/bookings/lookup"),
    ("POST", "/api/v1/eligible-offers"),
    ("POST", "/api/v1/bookings"),
    ("GET", "/api/v1/bookings/<uuid:booking_id>"),
    ("POST", "/api/v1/bookings/<uuid:booking_id>/cancel"),
    ("POST", "/api/v1/bookings/<uuid:booking_id>/rebook"),
    ("POST", "/api/v1/offers/<uuid:offer_id>/meetings/<uuid:meeting_id>/seats"),
    ("POST", "/api/v1/bookings/<uuid:booking_id>/rebook-seat"),
    ("POST", "/api/v1/offers/<uuid:offer_id>/meetings/<uuid:meeting_id>/waiting-list"),
    ("GET", "/api/v1/offers/<uuid:offer_id>/meetings/<uuid:meeting_id>/waiting-list"),
    ("POST", "/api/v1/waiting-list/<uuid:entry_id>/take"),
    ("POST", "/api/v1/waiting-list/<uuid:entry_id>/leave"),
    ("POST", "/api/v1/citizens"),
    ("POST", "/api/v1/access-log/search"),
    ("GET", "/api/v1/access-log/mine"),
}
UNKNOWN_BOOKING = "Bookingen findes ikke."


@pytest.fixture
def service(booking_pg_url: str, oidc_provider: EmbeddedOidcProvider) -> Iterator[BookingService]:
    """The booking app trusting the provider's citizen tokens and the keys above."""
    built = build_service(
        booking_pg_url,
        citizen_oidc_issuer=oidc_provider.issuer,
        citizen_oidc_client_id="planner-citizens",
        token_audience=API_AUDIENCE,
        api_keys=api_keys_setting(IT_KEY, PLANNER_X, PLANNER_Y, READER_X),
    )
    yield built
    built.context.close()


@pytest.fixture
def offers(service: BookingService) -> tuple[ev.OfferPayload, ev.OfferPayload]:
    """An offer of centre X and one of centre Y, each with 09:00, 09:30 and 11:00 free on
    TOMORROW and MEETING_DAY."""
    x = service.publish_offer(name="Jobsamtale X", job_centre_code=X)
    y = service.publish_offer(name="Jobsamtale Y", job_centre_code=Y)
    starts = [at(day, hh, mm) for day in (TOMORROW, MEETING_DAY) for hh, mm in ((9, 0), (9, 30), (11, 0))]
    for offer in (x, y):
        service.compute(offer.offer_id, {offer.advisor_ids[0]: starts})
    return x, y


def log_in(oidc_provider: EmbeddedOidcProvider, n: int) -> str:
    """Citizen ``n`` logs in at the provider; the access token their app gets."""
    sub = f"citizen-{n}"
    oidc_provider.put_user(sub, {CPR_CLAIM: fictitious_cpr(n), "name": f"Borger {n}"})
    return str(tokens_for(oidc_provider, sub)["access_token"])


def calling_as(service: BookingService, credential: NewApiKey | str) -> FlaskClient:
    """A client of the app sending ``credential`` (an API key or an access token)."""
    client = FlaskClient(service.app)
    client.environ_base["HTTP_AUTHORIZATION"] = bearer(credential)["Authorization"]
    return client


def booking_body(offer: ev.OfferPayload, hh: int = 9, **extra: Any) -> dict[str, Any]:
    start = at(MEETING_DAY, hh)
    return {"offer_id": offer.offer_id, "start": start.isoformat(), "advisor_id": offer.advisor_ids[0], **extra}


def for_citizen(n: int) -> dict[str, Any]:
    return {"citizen": {"cpr": fictitious_cpr(n)}}


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [offer["id"] for offer in response.get_json()["offers"]]


def access_log(service: BookingService) -> list[tuple[str, str, str, str]]:
    with service.context.db.transaction() as session:
        rows = session.scalars(select(CprAccessLog).order_by(CprAccessLog.id))
        return [(r.actor, r.purpose, service.vault.unseal(r.subject_cpr_sealed).digits, r.route) for r in rows]


def assert_no_cpr(response: Any, *numbers: int) -> None:
    text = response.get_data(as_text=True)
    for n in numbers:
        cpr = fictitious_cpr(n)
        assert cpr not in text and f"{cpr[:6]}-{cpr[6:]}" not in text


def test_a_logged_in_citizen_books_reads_moves_and_cancels_without_sending_a_cpr_number(
    service: BookingService, oidc_provider: EmbeddedOidcProvider, offers: tuple[ev.OfferPayload, ev.OfferPayload]
) -> None:
    x, y = offers
    advisor = x.advisor_ids[0]
    anna = calling_as(service, log_in(oidc_provider, 0))

    assert ids(anna.post("/api/v1/eligible-offers", json={})) == [x.offer_id, y.offer_id]
    times = anna.post(f"/api/v1/offers/{x.offer_id}/times", json={})
    assert times.status_code == 200
    assert {"start": "2026-12-10T09:00:00+01:00", "end": "2026-12-10T09:30:00+01:00", "advisor_id": advisor} in (
        times.get_json()["times"]
    )

    booked = anna.post("/api/v1/bookings", json=booking_body(x))
    assert booked.status_code == 201, booked.get_json()
    booking_id = booked.get_json()["id"]
    [row] = service.bookings()
    assert service.vault.unseal(row.citizen_cpr_sealed).digits == fictitious_cpr(0)
    assert row.offer_id == uuid.UUID(x.offer_id)
    read = anna.get(f"/api/v1/bookings/{booking_id}")
    assert read.status_code == 200 and read.get_json()["status"] == "active"
    assert "09:00" not in service.local_starts(x.offer_id, advisor, MEETING_DAY)

    moved = anna.post(f"/api/v1/bookings/{booking_id}/rebook", json={"start": at(MEETING_DAY, 11).isoformat()})
    assert moved.status_code == 201, moved.get_json()
    assert moved.get_json()["start"] == "2026-12-10T11:00:00+01:00"
    assert anna.get(f"/api/v1/bookings/{booking_id}").get_json()["status"] == "rebooked"
    cancelled = anna.post(f"/api/v1/bookings/{moved.get_json()['id']}/cancel")  # no body at all

    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"
    assert service.local_starts(x.offer_id, advisor, MEETING_DAY) == ["09:00", "09:30", "11:00"]
    for response in (times, booked, read, moved, cancelled):
        assert_no_cpr(response, 0)


def test_another_citizen_gets_404_on_a_booking_and_cannot_change_it(
    service: BookingService, oidc_provider: EmbeddedOidcProvider, offers: tuple[ev.OfferPayload, ev.OfferPayload]
) -> None:
    x, _ = offers
    anna = calling_as(service, log_in(oidc_provider, 0))
    bo = calling_as(service, log_in(oidc_provider, 1))
    booking_id = anna.post("/api/v1/bookings", json=booking_body(x)).get_json()["id"]

    answers = [
        bo.get(f"/api/v1/bookings/{booking_id}"),
        bo.post(f"/api/v1/bookings/{booking_id}/cancel", json={}),
        bo.post(f"/api/v1/bookings/{booking_id}/rebook", json={"start": at(MEETING_DAY, 11).isoformat()}),
    ]

    unknown = bo.get(f"/api/v1/bookings/{uuid.uuid4()}")
    assert unknown.status_code == 404 and unknown.get_json()["detail"] == UNKNOWN_BOOKING
    for answer in answers:  # exactly as for an id that does not exist
        assert answer.status_code == 404 and answer.get_json() == unknown.get_json()
    kept = anna.get(f"/api/v1/bookings/{booking_id}").get_json()
    assert kept["status"] == "active" and kept["start"] == "2026-12-10T09:00:00+01:00"
    assert "09:00" not in service.local_starts(x.offer_id, x.advisor_ids[0], MEETING_DAY)
    assert [m.event_type for m in service.outbox()] == [ev.BOOKING_CREATED]


def test_a_citizen_who_sends_a_cpr_number_gets_422_and_the_number_is_not_repeated(
    service: BookingService, oidc_provider: EmbeddedOidcProvider, offers: tuple[ev.OfferPayload, ev.OfferPayload]
) -> None:
    x, _ = offers
    anna = calling_as(service, log_in(oidc_provider, 0))
    booking_id = anna.post("/api/v1/bookings", json=booking_body(x)).get_json()["id"]
    own = fictitious_cpr(0)
    log_before = access_log(service)

    answers = [
        anna.post("/api/v1/eligible-offers", json={"citizen": {"cpr": f"{own[:6]}-{own[6:]}"}}),
        anna.post(f"/api/v1/offers/{x.offer_id}/times", json=for_citizen(1)),
        anna.post("/api/v1/bookings", json=booking_body(x, 11) | for_citizen(1)),
        anna.post(f"/api/v1/bookings/{booking_id}/cancel", json=for_citizen(0)),
        anna.post(
            f"/api/v1/bookings/{booking_id}/rebook", json={"start": at(MEETING_DAY, 11).isoformat()} | for_citizen(0)
        ),
    ]

    for answer in answers:
        assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
        problem = answer.get_json()
        assert problem["code"] == "cpr_not_allowed" and "dine egne" in problem["detail"]
        assert problem["errors"] == {"citizen": {"cpr": ["Må ikke sendes, når du er logget ind som borger."]}}
        assert_no_cpr(answer, 0, 1)
    [row] = service.bookings()
    assert service.vault.unseal(row.citizen_cpr_sealed).digits == own and row.cancelled_at is None
    assert access_log(service) == log_before  # nobody was looked up


def test_anonymous_callers_get_401_everywhere_but_on_the_public_listings(
    service: BookingService, offers: tuple[ev.OfferPayload, ev.OfferPayload]
) -> None:
    x, _ = offers
    booked = service.client().post("/api/v1/bookings", json=booking_body(x) | for_citizen(0))
    booking_id = booked.get_json()["id"]
    client = anonymous(service.client())

    answers: dict[tuple[str, str], Any] = {}
    for rule in service.app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule.replace("<uuid:offer_id>", x.offer_id).replace("<uuid:booking_id>", booking_id)
        path = path.replace("<uuid:meeting_id>", str(uuid.uuid4())).replace("<uuid:entry_id>", str(uuid.uuid4()))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            body = booking_body(x) | for_citizen(0) if method == "POST" else None
            answers[(method, rule.rule)] = client.open(path, method=method, json=body)

    assert set(answers) == PUBLIC | PROTECTED, "a new route: decide who may call it, here and in its mark"
    for operation in PROTECTED:
        answer = answers[operation]
        assert answer.status_code == 401, operation
        assert answer.headers["WWW-Authenticate"].startswith("Bearer ") and answer.get_json()["detail"]
    for operation in PUBLIC:
        assert answers[operation].status_code == 200, operation
    assert x.offer_id in [o["id"] for o in answers[("GET", "/api/v1/offers")].get_json()["offers"]]
    assert answers[("GET", "/api/v1/offers/<uuid:offer_id>/times")].get_json()["times"]
    [row] = service.bookings()
    assert row.id == uuid.UUID(booking_id) and row.cancelled_at is None  # the anonymous posts changed nothing


def test_the_openapi_document_says_which_operations_need_an_identity(service: BookingService) -> None:
    spec = anonymous(service.client()).get("/openapi.json").get_json()

    for method, rule in PUBLIC | PROTECTED:
        operation = spec["paths"][rule.replace("<uuid:", "{").replace(">", "}")][method.lower()]
        if (method, rule) in PUBLIC:
            assert operation["security"] == [], rule
        else:
            assert operation["security"] and "401" in operation["responses"], rule
    for schema in ("BookingIn", "RebookingIn", "CitizenRefIn", "CitizenTimesIn"):
        assert "citizen" not in spec["components"]["schemas"][schema].get("required", []), schema
    assert "X-Planner-Staff" not in str(spec)


def test_staff_act_for_a_citizen_only_at_their_own_job_centres(
    service: BookingService, offers: tuple[ev.OfferPayload, ev.OfferPayload]
) -> None:
    x, y = offers
    planner_x, planner_y, reader_x = (calling_as(service, key) for key in (PLANNER_X, PLANNER_Y, READER_X))
    unknown_offer = planner_y.post(
        "/api/v1/bookings", json=booking_body(x, offer_id=str(uuid.uuid4())) | for_citizen(0)
    )

    elsewhere = planner_y.post("/api/v1/bookings", json=booking_body(x) | for_citizen(0))
    read_only = reader_x.post("/api/v1/bookings", json=booking_body(x) | for_citizen(0))

    assert elsewhere.status_code == 404 and elsewhere.get_json() == unknown_offer.get_json()
    assert read_only.status_code == 403 and read_only.get_json()["code"] == "not_allowed"
    assert service.bookings() == [] and access_log(service) == []  # refused before anyone was looked up
    assert ids(planner_y.post("/api/v1/eligible-offers", json=for_citizen(0))) == [y.offer_id]
    assert ids(reader_x.post("/api/v1/eligible-offers", json=for_citizen(0))) == [x.offer_id]
    assert ids(service.client().post("/api/v1/eligible-offers", json=for_citizen(0))) == [x.offer_id, y.offer_id]
    assert reader_x.post(f"/api/v1/offers/{x.offer_id}/times", json=for_citizen(0)).get_json()["times"]
    assert reader_x.post(f"/api/v1/offers/{y.offer_id}/times", json=for_citizen(0)).status_code == 404

    booked = planner_x.post("/api/v1/bookings", json=booking_body(x) | for_citizen(0))
    assert booked.status_code == 201, booked.get_json()
    booking = f"/api/v1/bookings/{booked.get_json()['id']}"
    unknown = planner_y.get(f"/api/v1/bookings/{uuid.uuid4()}")
    for answer in (planner_y.get(booking), planner_y.post(f"{booking}/cancel", json=for_citizen(0))):
        assert answer.status_code == 404 and answer.get_json() == unknown.get_json()
    assert reader_x.get(booking).status_code == 200
    assert reader_x.post(f"{booking}/cancel", json=for_citizen(0)).status_code == 403
    assert service.client().get(booking).get_json()["status"] == "active"
    assert planner_x.post(f"{booking}/cancel", json=for_citizen(0)).get_json()["status"] == "cancelled"


def test_staff_must_name_the_citizen_they_act_for(
    service: BookingService, offers: tuple[ev.OfferPayload, ev.OfferPayload]
) -> None:
    x, _ = offers
    planner_x = calling_as(service, PLANNER_X)

    answers = [
        planner_x.post("/api/v1/bookings", json=booking_body(x)),
        planner_x.post("/api/v1/eligible-offers", json={"citizen": None}),
        planner_x.post(f"/api/v1/offers/{x.offer_id}/times", json={}),
    ]

    for answer in answers:
        assert answer.status_code == 422 and answer.get_json()["code"] == "cpr_missing"
        assert "citizen.cpr" in answer.get_json()["detail"]
    assert service.bookings() == []


def test_only_it_imports_citizen_profiles_and_a_citizen_never_rewrites_one(
    service: BookingService, oidc_provider: EmbeddedOidcProvider
) -> None:
    anna = calling_as(service, log_in(oidc_provider, 0))
    rewrite = [citizen_profile(0, contact_group="Kontanthjælpsmodtager")]

    assert anna.post("/api/v1/citizens", json=rewrite).status_code == 403
    assert calling_as(service, PLANNER_X).post("/api/v1/citizens", json=rewrite).status_code == 403
    with service.context.db.transaction() as session:
        row = session.get(CitizenProfileRow, service.vault.index(fictitious_cpr(0)))
        assert row is not None and row.contact_group == "Dagpengemodtager"
    assert service.client().post("/api/v1/citizens", json=rewrite).get_json() == {"created": 0, "replaced": 1}


def test_the_cpr_access_log_names_the_authenticated_actor_and_the_route(
    service: BookingService, oidc_provider: EmbeddedOidcProvider, offers: tuple[ev.OfferPayload, ev.OfferPayload]
) -> None:
    x, _ = offers
    anna = calling_as(service, log_in(oidc_provider, 0))

    anna.post("/api/v1/eligible-offers", json={})
    anna.post(f"/api/v1/offers/{x.offer_id}/times", json={})
    booking_id = anna.post("/api/v1/bookings", json=booking_body(x)).get_json()["id"]
    anna.post(f"/api/v1/bookings/{booking_id}/cancel")
    calling_as(service, PLANNER_X).post("/api/v1/eligible-offers", json=for_citizen(1))

    anna_, planner = "citizen-self", f"machine:apikey:{PLANNER_X.stored.key_id}"
    assert access_log(service) == [
        (anna_, "eligible_offers", fictitious_cpr(0), "/api/v1/eligible-offers"),
        (anna_, "times", fictitious_cpr(0), "/api/v1/offers/<uuid:offer_id>/times"),
        (anna_, "booking", fictitious_cpr(0), "/api/v1/bookings"),
        (anna_, "cancel_booking", fictitious_cpr(0), "/api/v1/bookings/<uuid:booking_id>/cancel"),
        (planner, "eligible_offers", fictitious_cpr(1), "/api/v1/eligible-offers"),
    ]


def test_a_citizen_the_job_centre_does_not_know_is_told_so(
    service: BookingService, oidc_provider: EmbeddedOidcProvider
) -> None:
    stranger = calling_as(service, log_in(oidc_provider, 99))

    answer = stranger.post("/api/v1/eligible-offers", json={})

    assert answer.status_code == 403 and answer.get_json()["code"] == "unknown_citizen"
    assert access_log(service) == [("citizen-self", "eligible_offers", fictitious_cpr(99), "/api/v1/eligible-offers")]


def test_a_token_for_another_audience_or_from_an_unknown_issuer_is_refused_with_401(
    service: BookingService, oidc_provider: EmbeddedOidcProvider
) -> None:
    oidc_provider.put_user("citizen-0", {CPR_CLAIM: fictitious_cpr(0), "name": "Borger 0"})
    tokens = tokens_for(oidc_provider, "citizen-0")
    other = start_oidc_provider(
        [User(sub="citizen-0", claims={CPR_CLAIM: fictitious_cpr(0)})], access_token_audience=API_AUDIENCE
    )
    try:
        foreign = tokens_for(other, "citizen-0")["access_token"]
    finally:
        other.stop()
    id_token = tokens["id_token"]  # signed by the right provider, but for the login client, not the API

    for token in (id_token, foreign):
        client = calling_as(service, token)
        for answer in (client.post("/api/v1/eligible-offers", json={}), client.get("/api/v1/offers")):
            assert answer.status_code == 401
            assert answer.headers["WWW-Authenticate"] == 'Bearer realm="jobcenter-planner", error="invalid_token"'
    assert access_log(service) == []
    assert ids(calling_as(service, tokens["access_token"]).post("/api/v1/eligible-offers", json={})) == []
