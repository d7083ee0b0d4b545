"""Fixtures of the offers tests: one migrated PostgreSQL database per session, emptied
after every test; the app on it; factories that create admin data through the API."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, insert, select, text

from services.offers.app import create_app
from services.offers.db import MIGRATIONS, migrate
from services.offers.models import (
    Base,
    ConversationType,
    OutboxMessage,
    PersonGroupMarkerRow,
    ReferenceAlias,
    ReferenceValue,
)
from shared.events import Envelope
from shared.service import ServiceContext
from tests.conftest import make_settings
from tests.identities import IT_KEY, ItClient

CPH = ZoneInfo("Europe/Copenhagen")
WEEKDAYS = {d: [["08:00", "12:00"], ["12:30", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}
ADULT_ON_BENEFITS = {
    "join": "and",
    "groups": [
        {
            "match": "all",
            "rules": [
                {"type": "contact_group", "condition": "eq", "value": "Dagpengemodtager"},
                {"type": "age", "condition": "gte", "value": 18},
            ],
        }
    ],
}
"""Participant rules in canonical form: adults receiving unemployment benefit."""
CALENDAR_HOSTS_ALLOWED = "cal.example.org,10.20.0.0/16"
IT_ACTOR = f"machine:apikey:{IT_KEY.stored.key_id}"
"""Who IT's test clients are in ``updated_by`` and the CPR access log."""


def today() -> date:
    return datetime.now(CPH).date()


@pytest.fixture(scope="session")
def offers_database(create_database: Callable[[str], str]) -> str:
    url = create_database("offers")
    migrate(url)
    return url


def build_app(database_url: str, secret_keys: str, **settings: Any) -> APIFlask:
    """The offers app for a test; the events exchange is fresh unless given. Calendar URLs
    may name cal.example.org (which does not resolve) and the test range 10.20.0.0/16. Its
    test clients call as IT (``tests.identities.ItClient``); ``api_keys`` admits other keys
    (IT's key is then admitted only if listed)."""
    settings.setdefault("broker_url", "memory://")
    settings.setdefault("calendar_hosts_allowed", CALENDAR_HOSTS_ALLOWED)
    settings.setdefault("events_exchange", f"planner.test.{uuid.uuid4().hex[:10]}")
    app = create_app(make_settings(offers_database_url=database_url, secret_keys=secret_keys, **settings))
    app.test_client_class = ItClient
    return app


def seed_migration(name: str = "2026_11_26_0002_participant_rules_and_reference_lists") -> ModuleType:
    """The migration that seeds the reference lists (its seed is frozen in it), or another."""
    path = MIGRATIONS / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reseed_reference_lists(connection: Connection) -> None:
    """Put the migrations' seeds back into the reference tables and the conversation types."""
    types = seed_migration("2026_12_10_0016_conversation_types").SEEDED
    now = datetime.now(UTC)
    connection.execute(insert(ConversationType), [{"code": c, "name": n, "changed_at": now} for c, n in types.items()])
    seed = seed_migration()
    values = [{"kind": k, "value": v, "position": i} for k, vs in seed.SEED_VALUES.items() for i, v in enumerate(vs)]
    connection.execute(insert(ReferenceValue), values)
    connection.execute(insert(ReferenceAlias), [{"kind": k, "alias": a, "target": t} for k, a, t in seed.SEED_ALIASES])
    markers = [
        {"code": c, "name": n, "level": lv, "owner": o, "position": i}
        for i, (c, n, lv, o) in enumerate(seed.SEED_MARKERS)
    ]
    connection.execute(insert(PersonGroupMarkerRow), markers)


def empty_and_close(app: APIFlask) -> None:
    """Empty every table (the database is shared by the session), put the seeded reference
    lists back, and release the app's parts."""
    context: ServiceContext = app.extensions["planner"]
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "offer_list_version")  # keeps counting
    with context.db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        reseed_reference_lists(connection)
    context.close()


@pytest.fixture
def app(offers_database: str, secret_keys: str) -> Iterator[APIFlask]:
    """The offers app on the session's database (broker in memory; relay not started)."""
    app = build_app(offers_database, secret_keys)
    yield app
    empty_and_close(app)


@pytest.fixture
def context(app: APIFlask) -> ServiceContext:
    return app.extensions["planner"]  # type: ignore[no-any-return]


@pytest.fixture
def client(app: APIFlask) -> FlaskClient:
    return app.test_client()


def row_counts(context: ServiceContext) -> dict[str, int]:
    """How many rows every table holds (to show that a refused request wrote nothing)."""
    with context.db.transaction() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def outbox(context: ServiceContext) -> list[Envelope]:
    """The events in the outbox, oldest first."""
    with context.db.transaction() as session:
        return [Envelope.from_json(m.body) for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq))]


class Api:
    """Creates admin data and offers through the HTTP API, asserting success."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def post(self, path: str, body: dict[str, Any], expect: int = 201, **kwargs: Any) -> dict[str, Any]:
        response = self.client.post(f"/api/v1{path}", json=body, **kwargs)
        assert response.status_code == expect, response.get_data(as_text=True)
        return dict(response.get_json())

    def centre(self, **overrides: Any) -> dict[str, Any]:
        code = overrides.pop("code", f"{uuid.uuid4().int % 90000 + 10000}")
        return self.post("/job-centres", {"code": code, "name": f"Jobcenter {code}", **overrides})

    def team(self, centre: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        return self.post(
            "/teams", {"job_centre_id": centre["id"], "name": "Team Øst", "phone": "70000000", **overrides}
        )

    def room(self, centre: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        body = {"job_centre_id": centre["id"], "name": "Lokale 1", "address": "Torvet 1, 9999 Demokøbing"}
        return self.post("/rooms", {**body, "capacity": 6, **overrides})

    def advisor(self, centre: dict[str, Any], team: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        body = {
            "job_centre_id": centre["id"],
            "team_ids": [team["id"]] if team else [],
            "name": "Anne Jensen",
            "email": "anne@example.org",
            "phone": "70000001",
            "working_hours": WEEKDAYS,
            "caldav_url": "https://cal.example.org/anne/arbejde/",
            "caldav_username": "anne",
            "caldav_password": "anne-secret",
        }
        return self.post("/advisors", {**body, **overrides})

    def offer_body(self, team: dict[str, Any], advisors: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
        return {
            "job_centre_id": team["job_centre_id"],
            "team_id": team["id"],
            "name": "Jobsamtale",
            "description": "Samtale om dine jobmål.",
            "conversation_type": 7,
            "meeting_form": "individual",
            "channel": "in_person",
            "place": "Torvet 1",
            "duration_minutes": 30,
            "reporting_minutes": 15,
            "start_minutes": [0, 30],
            "first_meeting_date": today().isoformat(),
            "rolling_weeks": 4,
            "advisor_ids": [a["id"] for a in advisors],
            "citizen_may_choose_advisor": True,
            "accept_cancellation": True,
            "rebooking_days_before": 2,
            "rules": ADULT_ON_BENEFITS,
            **overrides,
        }

    def offer(self, team: dict[str, Any], advisors: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
        return self.post("/offers", self.offer_body(team, advisors, **overrides))


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)


@pytest.fixture
def setup(api: Api) -> dict[str, Any]:
    """A job centre with a team, a room and two advisors."""
    centre = api.centre()
    team = api.team(centre)
    return {
        "centre": centre,
        "team": team,
        "room": api.room(centre),
        "anne": api.advisor(centre, team),
        "bo": api.advisor(centre, team, name="Bo Nielsen", phone="70000002", caldav_username="bo"),
    }
