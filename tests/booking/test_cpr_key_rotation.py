"""Rotating the CPR keys (issue 10): rows written under the old key are found while both keys
are configured, ``planner rotate-cpr-keys`` moves every sealed number and every index to
the new key, and afterwards the old key can go."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from flask.testing import FlaskClient
from sqlalchemy import select

from services.booking.models import Booking, CitizenProfileRow, PendingLogin, WebSession
from services.booking.models import CprAccessLog as BookingAccessLog
from services.cli import main
from services.offers.db import migrate as migrate_offers
from services.offers.models import CprAccessLog as OffersAccessLog
from shared.audit import log_cpr_access
from shared.auth.principal import Citizen
from shared.auth.sessions import SessionStore
from shared.auth.web import SESSION_COOKIE
from shared.config import get_settings
from shared.cpr import parse_cpr
from shared.cpr_vault import CprVault, vault_for
from shared.db import Database
from tests.booking.conftest import TOMORROW, BookingService, at, build_service, fictitious_cpr
from tests.shared.cpr_at_rest import plain_cpr_cells

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
BOTH = f"{NEW},{OLD}"


@pytest.fixture
def offers_url(create_database: Callable[[str], str]) -> str:
    url = create_database("offers_rotation")
    migrate_offers(url)
    return url


@pytest.fixture
def services() -> Iterator[Callable[..., BookingService]]:
    """Factory: a booking service on the given database and keys (closed after the test)."""
    made: list[BookingService] = []

    def build(url: str, keys: str, **kwargs: Any) -> BookingService:
        made.append(build_service(url, cpr_keys=keys, **kwargs))
        return made[-1]

    yield build
    for service in made:
        service.context.close()


def log_in(service: BookingService, n: int) -> str:
    """Citizen ``n``'s browser session in the service's store; the cookie."""
    store = SessionStore.from_settings(service.context.db, WebSession, PendingLogin, service.context.settings)
    return store.log_in(None, Citizen(cpr=parse_cpr(fictitious_cpr(n)), subject=f"citizen-{n}"))


def browser(service: BookingService, cookie: str) -> FlaskClient:
    client = FlaskClient(service.app)
    client.set_cookie(SESSION_COOKIE, cookie)
    return client


def rotate(booking_url: str, offers_url: str, keys: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``planner rotate-cpr-keys`` as an operator runs it, with ``keys`` as PLANNER_CPR_KEYS."""
    monkeypatch.setenv("PLANNER_CPR_KEYS", keys)
    monkeypatch.setenv("PLANNER_BOOKING_DATABASE_URL", booking_url)
    monkeypatch.setenv("PLANNER_OFFERS_DATABASE_URL", offers_url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, ["rotate-cpr-keys"])
    finally:
        get_settings.cache_clear()


def assert_found(service: BookingService, offer_id: str, booking_id: str, cookie: str) -> None:
    """The citizen's session, booking, profile and access log are all found by the service."""
    citizen = browser(service, cookie)
    assert citizen.get(f"/api/v1/bookings/{booking_id}").status_code == 200
    assert service.eligible(0).status_code == 200  # the profile (staff asking)
    again = service.book(offer_id, at(TOMORROW, 11), n=0)
    assert again.status_code == 409 and again.get_json()["code"] == "already_booked"
    search = service.client().post("/api/v1/access-log/search", json={"citizen": {"cpr": fictitious_cpr(0)}})
    assert "booking" in [entry["purpose"] for entry in search.get_json()["items"]]


def sealed_and_indexed(url: str, vault: CprVault, offers: bool = False) -> list[tuple[str, str, str | None]]:
    """(table, unsealed digits, index) of every row keeping a CPR number, opened with ``vault``
    only (``CprUnreadable`` for a row under another key)."""
    db = Database(url)
    found: list[tuple[str, str, str | None]] = []
    try:
        with db.transaction() as session:
            if offers:
                for log in session.scalars(select(OffersAccessLog)):
                    found.append(("log", vault.unseal(log.subject_cpr_sealed).digits, log.subject_cpr_index))
                return found
            for booking in session.scalars(select(Booking)):
                found.append(("booking", vault.unseal(booking.citizen_cpr_sealed).digits, booking.citizen_cpr_index))
            for profile in session.scalars(select(CitizenProfileRow)):
                found.append(("profile", vault.unseal(profile.cpr_sealed).digits, profile.cpr_index))
            for row in session.scalars(select(BookingAccessLog)):
                found.append(("log", vault.unseal(row.subject_cpr_sealed).digits, row.subject_cpr_index))
            for principal in session.scalars(select(WebSession.principal).where(WebSession.principal.is_not(None))):
                found.append(("session", vault.unseal(principal["cpr_sealed"]).digits, None))
    finally:
        db.dispose()
    return found


def test_rows_of_the_old_key_are_found_before_and_after_the_rotation_and_end_under_the_new_key(
    booking_pg_url: str, offers_url: str, services: Callable[..., BookingService], monkeypatch: pytest.MonkeyPatch
) -> None:
    old = services(booking_pg_url, OLD)  # imports the citizens under OLD
    offer = old.publish_offer()
    old.compute(offer.offer_id, {offer.advisor_ids[0]: [at(TOMORROW, 10), at(TOMORROW, 11)]})
    response = old.book(offer.offer_id, at(TOMORROW, 10), n=0)
    assert response.status_code == 201, response.get_json()
    booking_id, cookie = response.get_json()["id"], log_in(old, 0)
    offers_db = Database(offers_url)
    anna = parse_cpr(fictitious_cpr(0))
    log_cpr_access(offers_db, OffersAccessLog, actor="staff:pia", purpose="explain", cpr=anna, vault=vault_for(OLD))
    offers_db.dispose()

    new_only = services(booking_pg_url, NEW, known_citizens=False)
    assert new_only.eligible(0).get_json()["code"] == "unknown_citizen"  # NEW alone cannot find OLD's rows

    rotating = services(booking_pg_url, BOTH, known_citizens=False)
    assert_found(rotating, offer.offer_id, booking_id, cookie)

    result = rotate(booking_pg_url, offers_url, BOTH, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "booking.booking: krypteret og indekseret igen med den første nøgle: 1;" in result.output
    assert "booking.citizen_profile: krypteret og indekseret igen med den første nøgle: 25;" in result.output
    assert "offers.cpr_access_log: krypteret og indekseret igen med den første nøgle: 1;" in result.output

    new = vault_for(NEW)
    rows = sealed_and_indexed(booking_pg_url, new) + sealed_and_indexed(offers_url, new, offers=True)
    assert {"booking", "profile", "log", "session"} == {table for table, _, _ in rows}
    assert all(index in (None, new.index(digits)) for _, digits, index in rows), "every index is under NEW"
    assert plain_cpr_cells(booking_pg_url, [fictitious_cpr(0)]) == []

    assert_found(rotating, offer.offer_id, booking_id, cookie)
    assert_found(new_only, offer.offer_id, booking_id, cookie)  # OLD may go now

    again = rotate(booking_pg_url, offers_url, BOTH, monkeypatch)  # nothing left to do
    assert again.exit_code == 0, again.output
    lines = again.output.splitlines()
    assert len(lines) == 6 and all("igen med den første nøgle: 0;" in line for line in lines), lines


def test_the_rotation_refuses_without_keys_and_reports_numbers_no_key_opens(
    booking_pg_url: str, offers_url: str, services: Callable[..., BookingService], monkeypatch: pytest.MonkeyPatch
) -> None:
    services(booking_pg_url, OLD, known_citizens=False).add_citizens(0)

    missing = rotate(booking_pg_url, offers_url, "", monkeypatch)
    assert missing.exit_code == 1 and "PLANNER_CPR_KEYS er ikke sat" in missing.output

    other = Fernet.generate_key().decode()
    lost = rotate(booking_pg_url, offers_url, other, monkeypatch)  # OLD is not configured: nothing opens
    assert lost.exit_code == 1
    assert "booking.citizen_profile: 1 kan ikke dekrypteres med nogen af nøglerne" in lost.output
    assert fictitious_cpr(0) not in lost.output
    db = Database(booking_pg_url)
    try:
        with db.transaction() as session:
            [profile] = session.scalars(select(CitizenProfileRow)).all()
            assert vault_for(OLD).unseal(profile.cpr_sealed).digits == fictitious_cpr(0)  # left as it was
            assert profile.cpr_index == vault_for(OLD).index(fictitious_cpr(0))
    finally:
        db.dispose()
