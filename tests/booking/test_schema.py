"""The migrations build exactly the models, the database itself refuses a double booking,
and the OpenAPI document describes every route."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.booking.db import MIGRATIONS, migrate
from services.booking.models import Base, Booking, CatalogueVersion, OfferView
from shared.cpr_vault import vault_for
from shared.db import Database, make_engine
from shared.migrations import alembic_config, downgrade, upgrade
from tests.booking.conftest import TOMORROW, BookingService, at, build_service, fictitious_cpr, offer_payload
from tests.conftest import TEST_CPR_KEYS
from tests.schema import schema_objects, version_table_objects

VERSION_TABLE = "alembic_version_booking"
VAULT = vault_for(TEST_CPR_KEYS)


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_migrations_match_the_models_on_postgresql(booking_pg_url: str) -> None:
    assert _diff(booking_pg_url) == []


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'booking.db'}"
    migrate(url)
    migrate(url)  # idempotent
    assert _diff(url) == []


def test_there_is_one_head_and_downgrade_removes_everything(create_database: Callable[[str], str]) -> None:
    url = create_database("booking_downgrade")
    script = ScriptDirectory.from_config(alembic_config(MIGRATIONS, url))
    assert len(script.get_heads()) == 1
    before = schema_objects(url)
    migrate(url)
    built = schema_objects(url) - before
    assert {"extension btree_gist", "relation(r) public.booking"} < built

    downgrade(MIGRATIONS, url)

    kept, revisions = version_table_objects(url, VERSION_TABLE)
    assert schema_objects(url) == before | kept, "no table, extension, type or routine is left behind"
    assert revisions == []
    migrate(url)
    assert schema_objects(url) - before == built
    assert _diff(url) == []


def test_a_downgrade_keeps_btree_gist_while_something_else_uses_it(create_database: Callable[[str], str]) -> None:
    url = create_database("booking_shared_extension")
    migrate(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:  # another application's table in the same database
            connection.execute(
                text(
                    "CREATE TABLE room_hold (room uuid, during tstzrange, "
                    "EXCLUDE USING gist (room WITH =, during WITH &&))"
                )
            )
    finally:
        engine.dispose()

    downgrade(MIGRATIONS, url)

    left = schema_objects(url)
    assert {"extension btree_gist", "relation(r) public.room_hold"} <= left
    assert "relation(r) public.booking" not in left and version_table_objects(url, VERSION_TABLE)[1] == []


def _booking(advisor: uuid.UUID, start_hour: int, cpr: str, offer: uuid.UUID | None = None) -> Booking:
    start = at(TOMORROW, start_hour)
    return Booking(
        reference=uuid.uuid4().hex[:8].upper(),
        offer_id=offer or uuid.uuid4(),
        advisor_id=advisor,
        citizen_cpr_index=VAULT.index(cpr),
        citizen_cpr_sealed=VAULT.seal(cpr),
        start_at=start,
        end_at=start + timedelta(minutes=30),
        occupied_until=start + timedelta(minutes=75),
        accept_cancellation=True,
        rebooking_days_before=None,
    )


def test_the_exclusion_constraint_refuses_overlapping_active_bookings(booking_pg_url: str) -> None:
    db = Database(booking_pg_url)
    advisor = uuid.uuid4()
    with db.transaction() as session:
        session.add(_booking(advisor, 9, fictitious_cpr(1)))
    with pytest.raises(IntegrityError) as caught, db.transaction() as session:
        session.add(_booking(advisor, 10, fictitious_cpr(2)))  # 10:00 < 10:15, the end of 9:00's reporting time
    assert isinstance(caught.value.orig, psycopg.errors.ExclusionViolation)

    with db.transaction() as session:
        session.execute(text("UPDATE booking SET cancelled_at = now()"))
        session.add(_booking(advisor, 10, fictitious_cpr(2)))  # a cancelled booking frees the time
        session.add(_booking(uuid.uuid4(), 10, fictitious_cpr(3)))  # another advisor at the same time
    db.dispose()


def test_one_active_booking_per_citizen_per_offer_in_the_database(booking_pg_url: str) -> None:
    db = Database(booking_pg_url)
    offer = uuid.uuid4()
    with db.transaction() as session:
        session.add(_booking(uuid.uuid4(), 9, fictitious_cpr(1), offer))
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(_booking(uuid.uuid4(), 12, fictitious_cpr(1), offer))
    db.dispose()


def test_openapi_documents_every_route(service: BookingService) -> None:
    spec = service.client().get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1") and '"nullable"' not in json.dumps(spec)  # JSON Schema's null
    times = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/offers/{offer_id}/times"]["get"]["parameters"]}
    assert times["advisor_id"]["type"] == ["string", "null"]
    assert spec["info"]["title"] == "jobcenter-planner booking"
    for rule in service.app.url_map.iter_rules():
        blueprint = rule.endpoint.partition(".")[0]
        if rule.endpoint in ("static", "docs_asset") or blueprint in ("openapi", "pages", "citizen_pages", "login"):
            continue  # the documents themselves and the pages (start page, login, the citizen's pages): not API
        path = rule.rule.replace("<uuid:", "{").replace(">", "}")
        assert path in spec["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            assert operation.get("summary"), (path, method)
    booking_post = spec["paths"]["/api/v1/bookings"]["post"]
    assert {"201", "403", "404", "409", "422", "503"} <= set(booking_post["responses"])
    assert "cpr" not in str(spec["components"]["schemas"]["BookingOut"]).lower()
    assert {"post"} <= set(spec["paths"]["/api/v1/eligible-offers"])
    assert {"get", "post"} == set(spec["paths"]["/api/v1/offers/{offer_id}/times"])
    citizens = spec["paths"]["/api/v1/citizens"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert citizens["type"] == "array" and "$ref" in citizens["items"]
    assert spec["components"]["schemas"]["OfferOut"]["properties"]["eligibility_required"]["type"] == "boolean"


def test_readiness_reports_the_database(service: BookingService, tmp_path: Path) -> None:
    assert service.client().get("/readyz").get_json()["status"] == "ok"
    broken = build_service(f"postgresql+psycopg://postgres@127.0.0.1:1/{tmp_path.name}", known_citizens=False)
    try:
        assert broken.client().get("/healthz").status_code == 200
        response = broken.client().get("/readyz")
        assert response.status_code == 503 and response.mimetype == "application/problem+json"
    finally:
        broken.context.close()


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_offers_known_before_rules_get_none_on_upgrade(
    dialect: str, create_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = create_database("booking_upgrade") if dialect == "postgresql" else f"sqlite:///{tmp_path / 'b.db'}"
    upgrade(MIGRATIONS, url, "2026_11_26_0001")
    offer_id = uuid.uuid4()
    engine = make_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        row = offer_payload(offer_id=str(offer_id)).model_dump()
        row = {k: v for k, v in row.items() if k not in ("offer_id", "rules", "marker_routes")}
        row["id"] = offer_id if dialect == "postgresql" else offer_id.hex
        with engine.begin() as connection:
            connection.execute(insert(tables.tables["offer_view"]), row)
        migrate(url)
        assert _diff(url) == []
        with Session(engine) as session:
            offer = session.get(OfferView, offer_id)
            assert offer is not None and offer.rules is None and offer.marker_routes == {}
            version = session.get(CatalogueVersion, "offers")
            assert version is not None and version.version == 1
    finally:
        engine.dispose()
