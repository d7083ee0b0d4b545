"""The migrations build exactly the schema the models describe, on PostgreSQL and on
SQLite (the demo); /openapi.json documents every route with its input and output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect

from services.offers.db import MIGRATIONS, VERSION_TABLE, migrate
from services.offers.models import Base
from shared.migrations import alembic_config, downgrade
from tests.offers.conftest import Api, build_app, outbox


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
    assert script.get_heads() == ["offers_0001"]
    assert all(Path(r.path).name.startswith("2026_") for r in script.walk_revisions())


def test_postgresql_upgrade_matches_the_models_and_downgrades(create_database: Callable[[str], str]) -> None:
    url = create_database("offers_migrations")
    migrate(url)
    migrate(url)  # a second run (another replica starting) changes nothing
    assert differences(url) == []
    assert tables(url) == {t.name for t in Base.metadata.sorted_tables} | {VERSION_TABLE}
    downgrade(MIGRATIONS, url)
    assert tables(url) == {VERSION_TABLE}
    migrate(url)
    assert differences(url) == []


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


def test_openapi_documents_every_route(app: APIFlask, client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["info"] == {
        "title": "jobcenter-planner offers",
        "version": "1",
        "description": spec["info"]["description"],
    }
    routes = {
        (rule.rule.replace("<uuid:", "{").replace(">", "}"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("offers.") or rule.endpoint == "healthz"
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert documented == routes
    assert len([r for r in routes if r[0].startswith("/api/v1/")]) == 17
    for path, method in routes:
        operation = spec["paths"][path][method]
        assert operation["summary"] and operation["tags"], (path, method)
        success = [c for c in operation["responses"] if c.startswith("2")]
        assert success and all("content" in operation["responses"][c] for c in success), (path, method)
        if method in ("post", "patch") and not path.endswith("/sync"):
            assert "$ref" in operation["requestBody"]["content"]["application/json"]["schema"], (path, method)
    schemas = spec["components"]["schemas"]
    assert schemas["AdvisorIn"]["properties"]["caldav_password"]["writeOnly"] is True
    assert "caldav_password" not in schemas["AdvisorOut"]["properties"]
    assert set(schemas["OfferIn"]["required"]) >= {"name", "conversation_type", "team_id", "advisor_ids"}
    assert "required" not in schemas["OfferPatchUpdate"]
