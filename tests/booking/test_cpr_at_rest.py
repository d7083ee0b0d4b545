"""No CPR number in plain text in the booking database (issue 10), and the service still finds
everything by it: the citizen's booking, the one-active-booking guard, their profile, the
access log and their browser session."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.booking.models import (
    CITIZEN_OFFER_INDEX,
    Booking,
    CitizenProfileRow,
    CprAccessLog,
    PendingLogin,
    WebSession,
)
from services.offers.db import migrate as migrate_offers
from shared.auth.principal import Citizen
from shared.auth.sessions import SessionStore
from shared.auth.web import SESSION_COOKIE
from shared.cpr import parse_cpr
from shared.cpr_vault import CprKeysMissing
from tests.booking.conftest import KNOWN_CITIZENS, TOMORROW, BookingService, at, build_service, fictitious_cpr
from tests.offers.conftest import build_app as build_offers_app
from tests.shared.cpr_at_rest import plain_cpr_cells

EVERY_CITIZEN = [fictitious_cpr(n) for n in range(KNOWN_CITIZENS)]


def citizen_browser(service: BookingService, n: int) -> FlaskClient:
    """A browser logged in as citizen ``n`` (a session in the service's own store), sending
    its CSRF token."""
    store = SessionStore.from_settings(service.context.db, WebSession, PendingLogin, service.context.settings)
    cookie = store.log_in(None, Citizen(cpr=parse_cpr(fictitious_cpr(n)), subject=f"citizen-{n}"))
    browser = FlaskClient(service.app)
    browser.set_cookie(SESSION_COOKIE, cookie)
    browser.environ_base["HTTP_X_CSRF_TOKEN"] = store.csrf_token(cookie) or ""
    return browser


def booked(service: BookingService) -> tuple[str, str]:
    """Citizen 0 books an offer through staff (IT); the offer id and the booking id."""
    offer = service.publish_offer()
    service.compute(offer.offer_id, {offer.advisor_ids[0]: [at(TOMORROW, 10), at(TOMORROW, 11)]})
    response = service.book(offer.offer_id, at(TOMORROW, 10), n=0)
    assert response.status_code == 201, response.get_json()
    return offer.offer_id, response.get_json()["id"]


def test_after_a_booking_no_table_holds_a_cpr_number_in_plain_text(service: BookingService) -> None:
    _, booking_id = booked(service)
    browser = citizen_browser(service, 0)
    assert browser.get(f"/api/v1/bookings/{booking_id}").status_code == 200
    search = service.client().post("/api/v1/access-log/search", json={"citizen": {"cpr": fictitious_cpr(0)}})
    assert search.status_code == 200

    assert plain_cpr_cells(service.context.db.url, EVERY_CITIZEN) == []
    with service.context.db.transaction() as session:  # ...although every kind of row is there
        assert session.scalar(select(func.count()).select_from(Booking)) == 1
        assert session.scalar(select(func.count()).select_from(CitizenProfileRow)) == KNOWN_CITIZENS
        assert session.scalar(select(func.count()).select_from(CprAccessLog)) >= 2
        [principal] = session.scalars(select(WebSession.principal).where(WebSession.principal.is_not(None))).all()
        assert principal is not None and principal["kind"] == "citizen" and "cpr" not in principal
        row = session.get(Booking, uuid.UUID(booking_id))
        assert row is not None and row.citizen_cpr_index == service.vault.index(fictitious_cpr(0))
        assert service.vault.unseal(row.citizen_cpr_sealed).digits == fictitious_cpr(0)  # for staff's lists later


def test_the_service_still_finds_the_citizen_by_the_index(service: BookingService) -> None:
    offer_id, booking_id = booked(service)

    own, other = citizen_browser(service, 0), citizen_browser(service, 1)
    assert own.get(f"/api/v1/bookings/{booking_id}").status_code == 200
    assert other.get(f"/api/v1/bookings/{booking_id}").status_code == 404  # not theirs: as if unknown
    assert own.post("/api/v1/eligible-offers", json={}).status_code == 200  # the profile is found

    again = service.book(offer_id, at(TOMORROW, 11), n=0)
    assert again.status_code == 409 and again.get_json()["code"] == "already_booked"

    search = service.client().post("/api/v1/access-log/search", json={"citizen": {"cpr": fictitious_cpr(0)}})
    purposes = [entry["purpose"] for entry in search.get_json()["items"]]
    assert purposes[0] == "insight" and "booking" in purposes and "eligible_offers" in purposes
    mine = own.get("/api/v1/access-log/mine").get_json()["items"]
    assert {"booking", "eligible_offers", "insight"} <= {entry["purpose"] for entry in mine}
    nobody = service.client().post("/api/v1/access-log/search", json={"citizen": {"cpr": fictitious_cpr(99)}})
    assert [entry["purpose"] for entry in nobody.get_json()["items"]] == ["insight"]


def test_the_database_refuses_a_second_active_booking_by_the_index(service: BookingService) -> None:
    _, booking_id = booked(service)
    with service.context.db.transaction() as session:
        first = session.get(Booking, uuid.UUID(booking_id))
        assert first is not None
        twin = {c.name: getattr(first, c.key) for c in Booking.__table__.columns}

    twin |= {
        "id": uuid.uuid4(),
        "reference": "TWIN2345",
        "advisor_id": uuid.uuid4(),  # another advisor: only the citizen's guard can refuse it
        "citizen_cpr_sealed": service.vault.seal(fictitious_cpr(0)),  # sealed anew: only the index is equal
    }
    with pytest.raises(IntegrityError) as caught, service.context.db.transaction() as session:
        session.add(Booking(**twin))
    assert caught.value.orig.diag.constraint_name == CITIZEN_OFFER_INDEX  # type: ignore[union-attr]


def test_the_services_refuse_to_start_without_cpr_keys_outside_the_demo(
    booking_pg_url: str, tmp_path: Path, secret_keys: str
) -> None:
    with pytest.raises(CprKeysMissing, match="PLANNER_CPR_KEYS er ikke sat"):
        build_service(booking_pg_url, known_citizens=False, cpr_keys="")
    offers_url = f"sqlite:///{tmp_path / 'offers.db'}"
    migrate_offers(offers_url)
    with pytest.raises(CprKeysMissing):
        build_offers_app(offers_url, secret_keys, cpr_keys="")
    demo = build_service(booking_pg_url, cpr_keys="", demo=True, cookie_secure=False)  # the demo's own key
    demo.context.close()
