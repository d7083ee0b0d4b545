"""The revision log of an offer (V-7) and the offer list's filter by target contact group
(V-2), through the API on PostgreSQL: who changed which field from what to what, a history
the database will not let anyone rewrite, and a filter that follows an offer's rules."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from services.offers.models import OfferRevision
from services.offers.offers.revisions import value_of
from shared.service import ServiceContext
from tests.offers.conftest import ADULT_ON_BENEFITS, IT_ACTOR, Api

SICK_PAY = {"join": "and", "groups": [{"match": "all", "rules": [
    {"type": "contact_group", "condition": "eq", "value": "Sygedagpengemodtager"},
]}]}  # fmt: skip
NOT_ON_BENEFITS = {"join": "and", "groups": [{"match": "all", "rules": [
    {"type": "contact_group", "condition": "ne", "value": "Dagpengemodtager"},
]}]}  # fmt: skip


def log(context: ServiceContext, offer_id: str) -> list[tuple[str, Any, Any, str | None]]:
    with context.db.transaction() as session:
        rows = session.scalars(
            select(OfferRevision).where(OfferRevision.offer_id == offer_id).order_by(OfferRevision.id)
        ).all()
        return [(r.field, value_of(r.old_value), value_of(r.new_value), r.actor) for r in rows]


def names(client: FlaskClient, query: str) -> list[str]:
    response = client.get(f"/api/v1/offers?{query}")
    assert response.status_code == 200, response.get_json()
    return [offer["name"] for offer in response.get_json()["items"]]


def test_every_change_is_logged_with_who_what_and_from_what(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]], name="Jobsamtale")
    [(field, old, new, actor)] = log(context, offer["id"])
    assert field == "created" and old is None and actor == IT_ACTOR
    assert new["name"] == "Jobsamtale" and new["advisor_ids"] == [setup["anne"]["id"]]
    changes = {"name": "Jobsamtale om job", "active": False, "advisor_ids": [setup["bo"]["id"], setup["anne"]["id"]]}
    assert client.patch(f"/api/v1/offers/{offer['id']}", json=changes).status_code == 200
    assert client.patch(f"/api/v1/offers/{offer['id']}", json={"active": False}).status_code == 200  # no change
    assert log(context, offer["id"])[1:] == [
        ("name", "Jobsamtale", "Jobsamtale om job", IT_ACTOR),
        ("active", True, False, IT_ACTOR),
        ("advisor_ids", [setup["anne"]["id"]], [setup["bo"]["id"], setup["anne"]["id"]], IT_ACTOR),
    ]
    with context.db.transaction() as session:
        assert {r.actor_name for r in session.scalars(select(OfferRevision))} == {"tests (IT)"}


def test_the_database_refuses_to_rewrite_the_log(api: Api, context: ServiceContext, setup: dict[str, Any]) -> None:
    offer = api.offer(setup["team"], [setup["anne"]])
    for statement in ("UPDATE offer_revision SET actor = 'someone else'", "DELETE FROM offer_revision"):
        with pytest.raises(DBAPIError, match="Revisionsloggen kan ikke ændres"), context.db.engine.begin() as db:
            db.execute(text(statement))
    assert [entry[3] for entry in log(context, offer["id"])] == [IT_ACTOR]


def test_the_list_filters_by_the_contact_group_the_rules_are_for(
    api: Api, client: FlaskClient, setup: dict[str, Any]
) -> None:
    team, anne = setup["team"], setup["anne"]
    api.offer(team, [anne], name="Jobsamtale", rules=ADULT_ON_BENEFITS)
    sick = api.offer(team, [anne], name="Sygesamtale", rules=SICK_PAY)
    api.offer(team, [anne], name="Andre", rules=NOT_ON_BENEFITS)  # "ikke lig med" is not whom it is for
    assert names(client, "contact_group=Dagpengemodtager") == ["Jobsamtale"]
    assert names(client, "contact_group=Sygedagpengemodtager") == ["Sygesamtale"]
    assert names(client, "contact_group=Ukendt") == []
    assert names(client, "") == ["Andre", "Jobsamtale", "Sygesamtale"]
    both = {"join": "or", "groups": [*SICK_PAY["groups"], *ADULT_ON_BENEFITS["groups"]]}
    assert client.patch(f"/api/v1/offers/{sick['id']}", json={"rules": both}).status_code == 200
    assert names(client, "contact_group=Dagpengemodtager") == ["Jobsamtale", "Sygesamtale"]
    assert names(client, "contact_group=Dagpengemodtager&active=false") == []
