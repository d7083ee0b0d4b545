"""Booking's migration 2026_12_02_0006 (issue 10): a database with CPR numbers in plain text is
converted with the keys of the settings, refused without them, and the converted rows are
found by the service; the downgrade gives the plain rows back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from services.booking.db import MIGRATIONS, migrate
from services.booking.models import Booking, CitizenProfileRow, CprAccessLog, WebSession
from shared.auth.sessions import session_hash
from shared.auth.web import SESSION_COOKIE
from shared.config import get_settings
from shared.cpr_migration import CprMigrationRefused
from shared.cpr_vault import vault_for
from shared.db import AwareDateTime, make_engine
from shared.migrations import alembic_config, downgrade, upgrade
from shared.timeutil import utcnow
from tests.booking.conftest import TOMORROW, at, build_service, fictitious_cpr
from tests.shared.cpr_at_rest import plain_cpr_cells

BEFORE = "2026_12_01_0005"
KEYS = Fernet.generate_key().decode()
ANNA, BO = fictitious_cpr(0), fictitious_cpr(1)
PLAIN_COLUMNS = ["booking.citizen_cpr", "citizen_profile.cpr", "cpr_access_log.subject_cpr", "web_session.principal"]


@pytest.fixture
def keys_in_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Sets PLANNER_CPR_KEYS of the process settings, which the migration reads."""

    def use(keys: str) -> None:
        monkeypatch.setenv("PLANNER_CPR_KEYS", keys)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def seed_plain_rows(url: str) -> dict[str, Any]:
    """At revision 0005: Anna's active booking, her profile, an access-log row and her
    browser session, all with her CPR number in plain text; Bo's profile."""
    booking_id, offer_id, cookie = uuid.uuid4(), uuid.uuid4(), "cookie-of-anna-" + uuid.uuid4().hex
    start, now = at(TOMORROW, 10), utcnow()
    instant = AwareDateTime()
    booking = sa.table(
        "booking",
        *(sa.column(name, sa.Uuid()) for name in ("id", "offer_id", "advisor_id")),
        *(sa.column(name, instant) for name in ("start_at", "end_at", "occupied_until", "created_at")),
        sa.column("reference"),
        sa.column("citizen_cpr"),
        sa.column("accept_cancellation"),
    )
    profile = sa.table(
        "citizen_profile",
        sa.column("cpr"),
        sa.column("name"),
        sa.column("contact_group"),
        sa.column("person_group_markers", sa.JSON()),
        sa.column("other_actor_referrals", sa.JSON()),
        sa.column("updated_at", instant),
    )
    log = sa.table(
        "cpr_access_log",
        sa.column("at", instant),
        *(sa.column(c) for c in ("actor", "purpose", "subject_cpr", "route")),
    )
    web = sa.table(
        "web_session",
        sa.column("id_hash"),
        sa.column("principal", sa.JSON()),
        sa.column("csrf_token"),
        *(sa.column(name, instant) for name in ("created_at", "last_seen_at", "expires_at")),
    )
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(booking),
                {
                    "id": booking_id,
                    "offer_id": offer_id,
                    "advisor_id": uuid.uuid4(),
                    "start_at": start,
                    "end_at": start + timedelta(minutes=30),
                    "occupied_until": start + timedelta(minutes=45),
                    "created_at": now,
                    "reference": "PLAIN234",
                    "citizen_cpr": ANNA,
                    "accept_cancellation": True,
                },
            )
            for n, cpr in enumerate((ANNA, BO)):
                row = {"cpr": cpr, "name": f"Borger {n}", "contact_group": "Dagpengemodtager", "updated_at": now}
                connection.execute(sa.insert(profile), row | {"person_group_markers": [], "other_actor_referrals": []})
            connection.execute(
                sa.insert(log),
                {
                    "at": now,
                    "actor": "staff:pia",
                    "purpose": "booking",
                    "subject_cpr": ANNA,
                    "route": "/api/v1/bookings",
                },
            )
            connection.execute(
                sa.insert(web),
                {
                    "id_hash": session_hash(cookie),
                    "principal": {"kind": "citizen", "cpr": ANNA, "subject": "citizen-0"},
                    "csrf_token": "csrf",
                    "created_at": now,
                    "last_seen_at": now,
                    "expires_at": now + timedelta(minutes=20),
                },
            )
    finally:
        engine.dispose()
    return {"booking_id": booking_id, "offer_id": offer_id, "cookie": cookie}


def revision(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(sa.text("SELECT version_num FROM alembic_version_booking")).scalar_one())
    finally:
        engine.dispose()


def assert_converted_and_found(url: str, seeded: dict[str, Any]) -> None:
    """Every row is sealed and indexed under KEYS, and the service finds each by Anna's number."""
    vault = vault_for(KEYS)
    service = build_service(url, known_citizens=False, cpr_keys=KEYS)
    try:
        with service.context.db.transaction() as session:
            booking = session.get(Booking, seeded["booking_id"])
            assert booking is not None and booking.citizen_cpr_index == vault.index(ANNA)
            assert vault.unseal(booking.citizen_cpr_sealed).digits == ANNA
            profiles = {
                vault.unseal(p.cpr_sealed).digits: p.cpr_index for p in session.scalars(sa.select(CitizenProfileRow))
            }
            assert profiles == {ANNA: vault.index(ANNA), BO: vault.index(BO)}
            [log] = session.scalars(sa.select(CprAccessLog)).all()
            assert log.subject_cpr_index == vault.index(ANNA) and vault.unseal(log.subject_cpr_sealed).digits == ANNA
            [principal] = session.scalars(sa.select(WebSession.principal)).all()
            assert principal is not None and set(principal) == {"kind", "cpr_sealed", "subject"}

        service.publish_offer(offer_id=str(seeded["offer_id"]))
        anna = FlaskClient(service.app)
        anna.set_cookie(SESSION_COOKIE, seeded["cookie"])  # her session from before the migration
        assert anna.get(f"/api/v1/bookings/{seeded['booking_id']}").status_code == 200
        assert service.eligible(0).status_code == 200 and service.eligible(1).status_code == 200  # the profiles
        search = service.client().post("/api/v1/access-log/search", json={"citizen": {"cpr": ANNA}})
        assert [entry["purpose"] for entry in search.get_json()["items"]][-1] == "booking"  # the old row
        with pytest.raises(IntegrityError), service.context.db.transaction() as session:
            twin = {c.name: getattr(booking, c.key) for c in Booking.__table__.columns}
            session.add(Booking(**twin | {"id": uuid.uuid4(), "reference": "TWIN2345", "advisor_id": uuid.uuid4()}))
    finally:
        service.context.close()


def test_plain_rows_are_converted_found_and_given_back_on_the_way_down(
    create_database: Callable[[str], str], keys_in_settings: Callable[[str], None]
) -> None:
    url = create_database("booking_cpr_migration")
    upgrade(MIGRATIONS, url, BEFORE)
    seeded = seed_plain_rows(url)
    assert plain_cpr_cells(url, [ANNA, BO]) == PLAIN_COLUMNS  # what the check below would see

    keys_in_settings(KEYS)
    migrate(url)

    assert plain_cpr_cells(url, [ANNA, BO]) == []
    assert_converted_and_found(url, seeded)

    downgrade(MIGRATIONS, url, BEFORE)
    assert plain_cpr_cells(url, [ANNA, BO]) == PLAIN_COLUMNS
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT citizen_cpr FROM booking")).scalar_one() == ANNA
            principal = connection.execute(sa.text("SELECT CAST(principal AS text) FROM web_session")).scalar_one()
            assert json.loads(principal) == {"kind": "citizen", "cpr": ANNA, "subject": "citizen-0"}
    finally:
        engine.dispose()


def test_the_upgrade_is_refused_without_a_key_and_changes_nothing(
    create_database: Callable[[str], str], keys_in_settings: Callable[[str], None]
) -> None:
    url = create_database("booking_cpr_refused")
    upgrade(MIGRATIONS, url, BEFORE)
    seed_plain_rows(url)
    keys_in_settings("")

    with pytest.raises(CprMigrationRefused) as caught:
        migrate(url)

    message = str(caught.value)
    assert "PLANNER_CPR_KEYS" in message and "de 5 CPR-numre" in message and ANNA not in message
    assert revision(url) == BEFORE
    assert plain_cpr_cells(url, [ANNA, BO]) == PLAIN_COLUMNS


def test_a_database_without_cpr_numbers_needs_no_key(
    create_database: Callable[[str], str], keys_in_settings: Callable[[str], None]
) -> None:
    url = create_database("booking_cpr_empty")
    keys_in_settings("")
    migrate(url)
    assert revision(url) == ScriptDirectory.from_config(alembic_config(MIGRATIONS, url)).get_current_head()


def test_the_demo_database_on_sqlite_is_converted_too(tmp_path: Path, keys_in_settings: Callable[[str], None]) -> None:
    url = f"sqlite:///{tmp_path / 'booking.db'}"
    upgrade(MIGRATIONS, url, BEFORE)
    seeded = seed_plain_rows(url)
    keys_in_settings(KEYS)
    migrate(url)
    assert_converted_and_found(url, seeded)
