"""The migrations build exactly the schema the models describe, on PostgreSQL and on
SQLite (the demo); /openapi.json documents every route with its input and output."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, create_engine, func, insert, inspect, select
from sqlalchemy.orm import Session

from services.offers.db import MIGRATIONS, VERSION_TABLE, migrate
from services.offers.models import Advisor, Base, ConversationVariant, JobCentre, Offer, ReferenceValue
from shared.migrations import alembic_config, downgrade, upgrade
from tests.offers.conftest import Api, build_app, outbox
from tests.schema import schema_objects, version_table_objects


def differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config(MIGRATIONS, "sqlite://"))
    assert script.get_heads() == ["offers_0017"]
    assert all(Path(r.path).name.startswith("2026_") for r in script.walk_revisions())


def test_postgresql_upgrade_matches_the_models_and_downgrades(create_database: Callable[[str], str]) -> None:
    url = create_database("offers_migrations")
    before = schema_objects(url)
    migrate(url)
    built = schema_objects(url) - before
    migrate(url)  # a second run (another replica starting) changes nothing
    assert schema_objects(url) - before == built
    assert differences(url) == []
    assert tables(url) == {t.name for t in Base.metadata.sorted_tables} | {VERSION_TABLE}
    downgrade(MIGRATIONS, url)
    kept, revisions = version_table_objects(url, VERSION_TABLE)
    assert schema_objects(url) == before | kept, "no table, index, sequence, type or routine is left behind"
    assert revisions == []
    migrate(url)
    assert differences(url) == []
    assert schema_objects(url) - before == built


def test_sqlite_upgrade_matches_the_models_and_the_app_runs_on_it(tmp_path: Path, secret_keys: str) -> None:
    url = f"sqlite:///{tmp_path / 'offers.db'}"
    migrate(url)
    assert differences(url) == []
    app = build_app(url, secret_keys)
    try:
        api = Api(app.test_client())
        centre = api.centre()
        team = api.team(centre)
        offer = api.offer(team, [api.advisor(centre, team)], channel="phone", place=None)
        assert offer["phone"] == "70000001"
        changed = app.test_client().patch(f"/api/v1/offers/{offer['id']}", json={"active": False})
        assert changed.status_code == 200 and changed.get_json()["active"] is False
        assert [e.type for e in outbox(app.extensions["planner"])] == [
            "advisor.changed",
            "offer.published",
            "offer.changed",
        ]
    finally:
        app.extensions["planner"].close()


OPERATIONS_ROUTES = ("healthz", "readyz", "metrics")


def test_openapi_documents_every_route(app: APIFlask, client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["info"] == {
        "title": "jobcenter-planner offers",
        "version": "1",
        "description": spec["info"]["description"],
    }
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.partition(".")[0] in ("offers", "cpr_access_log") or rule.endpoint in OPERATIONS_ROUTES
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert documented == routes
    assert spec["openapi"].startswith("3.1") and '"nullable"' not in json.dumps(spec)  # JSON Schema's null
    assert len([r for r in routes if r[0].startswith("/api/v1/")]) == 40
    for path, method in routes:
        operation = spec["paths"][path][method]
        assert operation["summary"] and operation["tags"], (path, method)
        success = [c for c in operation["responses"] if c.startswith("2")]
        with_body = all("content" in operation["responses"][c] for c in success if c != "204")  # 204: none
        assert success and with_body, (path, method)
        if method in ("post", "patch", "put") and not path.endswith(("/sync", "/cancel")):  # those take no body
            assert "$ref" in operation["requestBody"]["content"]["application/json"]["schema"], (path, method)
    schemas = spec["components"]["schemas"]
    assert schemas["AdvisorIn"]["properties"]["caldav_password"]["writeOnly"] is True
    assert "caldav_password" not in schemas["AdvisorOut"]["properties"]
    assert set(schemas["OfferIn"]["required"]) >= {"name", "conversation_type", "team_id", "advisor_ids", "rules"}
    assert "required" not in schemas["OfferPatchUpdate"]
    rules = schemas["OfferIn"]["properties"]["rules"]
    assert rules["type"] == "object" and rules["properties"]["groups"]["items"]["properties"]["match"]["enum"] == [
        "all",
        "any",
    ]
    assert "marker_routes" in schemas["OfferOut"]["properties"]
    explain = spec["paths"]["/api/v1/offers/{offer_id}/explain"]["post"]
    assert {"200", "404", "422"} <= set(explain["responses"])
    assert "cpr" in schemas["ExplainIn"]["properties"]["citizen"]["properties"]
    put = spec["paths"]["/api/v1/reference-lists/{kind}"]["put"]
    assert {"200", "404", "409", "422"} <= set(put["responses"])


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_offers_from_before_rules_survive_the_upgrade_without_rules(
    dialect: str, create_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = create_database("offers_upgrade") if dialect == "postgresql" else f"sqlite:///{tmp_path / 'o.db'}"
    upgrade(MIGRATIONS, url, "offers_0001")
    engine = create_engine(url)
    ids = [uuid.uuid4() for _ in range(4)]
    key = (lambda u: u) if dialect == "postgresql" else (lambda u: u.hex)
    now = datetime.now(UTC)
    day = now.date()
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.begin() as connection:
            connection.execute(
                insert(tables.tables["job_centre"]),
                {"id": key(ids[0]), "code": "10101", "name": "Jobcenter", "timezone": "Europe/Copenhagen",
                 "created_at": now},
            )  # fmt: skip
            connection.execute(
                insert(tables.tables["team"]),
                {"id": key(ids[1]), "job_centre_id": key(ids[0]), "name": "Team", "created_at": now},
            )
            connection.execute(
                insert(tables.tables["offer"]),
                {"id": key(ids[2]), "job_centre_id": key(ids[0]), "team_id": key(ids[1]), "name": "Gammelt tilbud",
                 "description": "", "conversation_type": 7, "meeting_form": "individual", "channel": "phone",
                 "duration_minutes": 30, "reporting_minutes": 0, "start_minutes": [0], "first_meeting_date": day,
                 "opens_on": day, "citizen_may_choose_advisor": False, "accept_cancellation": True,
                 "active": True, "created_at": now, "updated_at": now, "variant": " Unge under 30 "},
            )  # fmt: skip
            connection.execute(
                insert(tables.tables["offer"]),
                {"id": key(ids[3]), "job_centre_id": key(ids[0]), "team_id": key(ids[1]), "name": "Ukendt type",
                 "description": "", "conversation_type": 99, "meeting_form": "individual", "channel": "video",
                 "duration_minutes": 30, "reporting_minutes": 0, "start_minutes": [0], "first_meeting_date": day,
                 "opens_on": day, "citizen_may_choose_advisor": False, "accept_cancellation": True,
                 "active": True, "created_at": now, "updated_at": now},
            )  # fmt: skip
        migrate(url)
        assert differences(url) == []
        with Session(engine) as session:
            offer = session.get(Offer, ids[2])
            assert offer is not None and offer.rules is None and offer.marker_routes == {}
            assert offer.caller == "citizen"  # citizens were told to call the number themselves
            assert session.get(JobCentre, ids[0]).region is None  # type: ignore[union-attr]
            assert session.scalar(select(func.count()).select_from(ReferenceValue)) == 51
            [variant] = session.scalars(select(ConversationVariant))  # the offer's variant is on its centre's list
            assert (variant.job_centre_id, variant.conversation_type, variant.name) == (ids[0], 7, "Unge under 30")
            assert variant.conversation_type_name == offer.conversation_type_name == "Jobsamtale"
            unknown = session.get(Offer, ids[3])  # a code from outside the seed becomes a type to rename
            assert unknown is not None and unknown.conversation_type_name == "Samtaletype 99"
    finally:
        engine.dispose()


def test_sqlite_calendar_health_migration_keeps_advisors_on_the_way_down_and_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    migrate(url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    centre, advisor = uuid.uuid4(), uuid.uuid4()
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.begin() as connection:
            connection.execute(
                insert(tables.tables["job_centre"]),
                {"id": centre.hex, "code": "10101", "name": "Jobcenter", "timezone": "Europe/Copenhagen",
                 "created_at": now},
            )  # fmt: skip
            connection.execute(
                insert(tables.tables["advisor"]),
                {"id": advisor.hex, "job_centre_id": centre.hex, "name": "Anne", "timezone": "Europe/Copenhagen",
                 "working_hours": {}, "created_at": now, "updated_at": now},
            )  # fmt: skip
        downgrade(MIGRATIONS, url, "offers_0002")
        assert "calendar_conflict" not in tables_of(engine)
        migrate(url)
        assert differences(url) == []
        with Session(engine) as session:
            row = session.get(Advisor, advisor)
            assert row is not None and row.calendar_stale is False and row.calendar_health_changed_at is None
    finally:
        engine.dispose()


def tables_of(engine: Any) -> set[str]:
    return set(inspect(engine).get_table_names())
