"""The offer list (``offer_list``) is exactly what ``OfferList`` writes of the ORM's offers, for
offers of every shape (advisors in staff's order, a room, an end date, no rules, inactive),
through every filter and sort, on PostgreSQL and on the demo's SQLite."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import update

from services.offers.db import migrate
from services.offers.models import Offer
from services.offers.offers import queries
from services.offers.offers.offer_list import PreparedOfferLists, offer_list_json
from services.offers.offers.schemas import OfferList
from shared.service import ServiceContext
from tests.offers.conftest import Api, build_app, today

QUERIES: list[dict[str, Any]] = [
    {},
    {"sort": "updated_at", "order": "desc"},
    {"active": False},
    {"channel": "phone"},
    {"sort": "team", "order": "desc"},
    {"contact_group": "Dagpengemodtager"},
    {"name": "samtale", "sort": "conversation_type"},
]


def schema_answer(context: ServiceContext, **query: Any) -> Any:
    with context.db.transaction() as session:
        offers = queries.list_offers(session, centres=None, **query)
        return json.loads(json.dumps(OfferList().dump({"items": offers})))


def fast_answer(context: ServiceContext, **query: Any) -> Any:
    with context.db.transaction() as session:
        return json.loads(offer_list_json(session, centres=None, **query))


def test_the_list_is_what_the_schema_writes(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    team, anne, bo = setup["team"], setup["anne"], setup["bo"]
    api.offer(team, [bo, anne], name="Jobsamtale", end_date=(today() + timedelta(days=30)).isoformat())
    api.offer(team, [anne], name="Telefonsamtale", channel="phone", place=None, room_id=setup["room"]["id"])
    old = api.offer(team, [anne, bo], name="Gammel samtale", citizen_may_choose_advisor=False)
    client.patch(f"/api/v1/offers/{old['id']}", json={"active": False})
    with context.db.transaction() as session:  # an offer from before rules existed
        session.execute(update(Offer).where(Offer.name == "Telefonsamtale").values(rules=None))
    for query in QUERIES:
        expected = schema_answer(context, **query)
        assert fast_answer(context, **query) == expected, query
    served = client.get("/api/v1/offers?sort=name")
    assert served.status_code == 200 and served.mimetype == "application/json"
    assert served.get_json() == schema_answer(context)
    [jobsamtale] = [o for o in served.get_json()["items"] if o["name"] == "Jobsamtale"]
    assert jobsamtale["advisor_ids"] == [bo["id"], anne["id"]]  # in staff's order


def test_the_list_is_the_same_on_the_demos_sqlite(tmp_path: Path, secret_keys: str) -> None:
    url = f"sqlite:///{tmp_path / 'offers.db'}"
    migrate(url)
    app = build_app(url, secret_keys)
    try:
        api = Api(app.test_client())
        centre = api.centre()
        team = api.team(centre)
        anne, bo = api.advisor(centre, team), api.advisor(centre, team, name="Bo Nielsen", caldav_username="bo")
        api.offer(team, [bo, anne], name="Jobsamtale")
        cafe = api.offer(team, [anne], name="Cafémøde", channel="video", place=None)
        context = app.extensions["planner"]
        assert fast_answer(context) == schema_answer(context)
        assert [o["advisor_ids"] for o in fast_answer(context)["items"]] == [[anne["id"]], [bo["id"], anne["id"]]]
        client = app.test_client()
        assert listed(client) == schema_answer(context)
        client.patch(f"/api/v1/offers/{cafe['id']}", json={"advisor_ids": [bo["id"]]})  # the triggers of SQLite
        assert listed(client) == schema_answer(context)
        assert app.extensions["offers.lists"].builds == 2
    finally:
        app.extensions["planner"].close()


def listed(client: FlaskClient, query: str = "") -> Any:
    answer = client.get(f"/api/v1/offers{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_a_kept_list_is_served_until_what_it_shows_changes_in_any_process(
    api: Api,
    client: FlaskClient,
    context: ServiceContext,
    setup: dict[str, Any],
    offers_database: str,
    secret_keys: str,
) -> None:
    """Each process keeps the lists it served; a change made by another process (a second
    replica here) or by a statement outside the service is in the very next list."""
    team, anne, bo = setup["team"], setup["anne"], setup["bo"]
    offer = api.offer(team, [anne], name="Jobsamtale")
    replica = build_app(offers_database, secret_keys)
    try:
        lists: PreparedOfferLists = replica.extensions["offers.lists"]
        other = replica.test_client()
        assert listed(other) == schema_answer(context)
        assert (listed(other), listed(other, "?channel=phone")) == (schema_answer(context), {"items": []})
        assert lists.builds == 2  # the unchanged list again came from what was kept

        changes = [
            lambda: api.offer(team, [bo], name="Telefonsamtale", channel="phone", place=None),
            lambda: client.patch(f"/api/v1/offers/{offer['id']}", json={"name": "Jobsamtale i Aarhus"}),
            lambda: client.patch(f"/api/v1/offers/{offer['id']}", json={"advisor_ids": [bo["id"], anne["id"]]}),
            lambda: client.patch(f"/api/v1/offers/{offer['id']}", json={"active": False}),
        ]
        for change in changes:
            change()
            assert listed(other) == schema_answer(context)
            assert listed(other, "?channel=phone") == schema_answer(context, channel="phone")
        with context.db.transaction() as session:  # an administrator's statement, not the service's
            session.execute(update(Offer).values(description="Rettet direkte i databasen."))
        assert {o["description"] for o in listed(other)["items"]} == {"Rettet direkte i databasen."}
    finally:
        replica.extensions["planner"].close()
