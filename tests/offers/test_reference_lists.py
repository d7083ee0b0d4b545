"""An administrator edits the reference lists (A-5) as reforms change them: the seed is the
guide's, a new value is usable at once, a value in use by an active offer is never removed
silently, and a renamed value carries its offers along."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text

from services.offers.rules.reference_lists import replace_reference_list
from shared import events as ev
from shared.eligibility import DEFAULT_REFERENCE
from shared.eligibility.reference import REGIONS
from shared.service import ServiceContext
from tests.offers.conftest import IT_ACTOR, Api, outbox, row_counts
from tests.offers.test_participant_rules import one_group, rule

LISTS = "/api/v1/reference-lists"


def put(client: FlaskClient, kind: str, body: dict[str, Any]) -> Any:
    return client.put(f"{LISTS}/{kind}", json=body)


def values(client: FlaskClient, kind: str) -> list[str]:
    return list(client.get(f"{LISTS}/{kind}").get_json()["values"])


def test_the_seed_is_the_guides_lists(client: FlaskClient) -> None:
    lists = {item["kind"]: item for item in client.get(LISTS).get_json()["items"]}
    assert list(lists) == [
        "contact_groups",
        "assessment_groups",
        "sick_pay_categories",
        "other_actors",
        "unemployment_funds",
        "regions",
        "person_group_markers",
    ]
    seed = DEFAULT_REFERENCE.to_json()
    assert {"values": lists["contact_groups"]["values"], "aliases": lists["contact_groups"]["aliases"]} == (
        seed["contact_groups"]
    )
    for kind in ("assessment_groups", "sick_pay_categories", "other_actors", "unemployment_funds"):
        assert lists[kind]["values"] == seed[kind] and lists[kind]["aliases"] == {}, kind
    assert lists["regions"]["values"] == list(REGIONS)
    assert lists["person_group_markers"]["markers"] == seed["person_group_markers"]
    assert lists["contact_groups"]["label"] == "Kontaktgrupper"
    assert client.get(f"{LISTS}/colours").status_code == 404


def test_a_contact_group_added_by_the_administrator_becomes_usable(
    api: Api, client: FlaskClient, setup: dict[str, Any]
) -> None:
    reform = one_group(rule("contact_group", "eq", "Selvforsørgelsesydelsesmodtager"))
    body = api.offer_body(setup["team"], [setup["anne"]], rules=reform)
    assert client.post("/api/v1/offers", json=body).status_code == 422

    new_values = [*DEFAULT_REFERENCE.contact_groups.values, "Selvforsørgelsesydelsesmodtager"]
    response = put(client, "contact_groups", {"values": new_values, "aliases": {"Rehabilient": "Rehabilitand"}})
    assert response.status_code == 200, response.get_json()
    assert values(client, "contact_groups")[-1] == "Selvforsørgelsesydelsesmodtager"
    assert client.post("/api/v1/offers", json=body).status_code == 201


def test_removing_a_value_an_active_offer_uses_is_refused_naming_the_offer(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]], name="Jobsamtale for dagpengemodtagere")
    without = [v for v in DEFAULT_REFERENCE.contact_groups.values if v != "Dagpengemodtager"]
    before = row_counts(context)

    response = put(client, "contact_groups", {"values": without})

    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert "'Jobsamtale for dagpengemodtagere'" in problem["detail"]
    assert [o["id"] for o in problem["offers"]] == [offer["id"]]
    assert problem["offers"][0]["problems"][0]["code"] == "unknown_value"
    assert "Dagpengemodtager" in values(client, "contact_groups") and row_counts(context) == before

    assert client.patch(f"/api/v1/offers/{offer['id']}", json={"active": False}).status_code == 200
    assert put(client, "contact_groups", {"values": without}).status_code == 200  # inactive: no longer in the way
    assert "Dagpengemodtager" not in values(client, "contact_groups")
    reactivate = client.patch(f"/api/v1/offers/{offer['id']}", json={"active": True})
    assert reactivate.status_code == 422 and reactivate.get_json()["errors"]["rules"][0]["code"] == "unknown_value"


def test_a_value_renamed_with_an_alias_carries_its_offers_along(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]])
    renamed = [v if v != "Dagpengemodtager" else "Modtager af arbejdsløshedsdagpenge" for v in
               DEFAULT_REFERENCE.contact_groups.values]  # fmt: skip
    aliases = {"Rehabilient": "Rehabilitand", "Dagpengemodtager": "Modtager af arbejdsløshedsdagpenge"}

    response = put(client, "contact_groups", {"values": renamed, "aliases": aliases})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["aliases"]["Dagpengemodtager"] == "Modtager af arbejdsløshedsdagpenge"
    changed = client.get(f"/api/v1/offers/{offer['id']}").get_json()
    assert changed["rules"]["groups"][0]["rules"][0]["value"] == "Modtager af arbejdsløshedsdagpenge"
    assert changed["updated_by"] == IT_ACTOR
    event = outbox(context)[-1]
    assert event.type == ev.OFFER_CHANGED and event.payload["rules"] == changed["rules"]
    # The old name still works for staff typing it.
    old_name = one_group(rule("contact_group", "eq", "Dagpengemodtager"))
    again = api.offer(setup["team"], [setup["anne"]], rules=old_name)
    assert again["rules"]["groups"][0]["rules"][0]["value"] == "Modtager af arbejdsløshedsdagpenge"


def test_lists_are_checked_and_every_problem_is_named(client: FlaskClient, context: ServiceContext) -> None:
    before = row_counts(context)
    response = put(client, "assessment_groups", {"values": ["Jobparat", " jobparat ", "", 7]})
    assert response.status_code == 422
    problems = response.get_json()["errors"]["values"]
    assert [(p["path"], p["code"]) for p in problems] == [("/1", "duplicate"), ("/2", "not_text"), ("/3", "not_text")]
    bad_alias = put(client, "assessment_groups", {"values": ["Jobparat"], "aliases": {"Klar": "Parat"}})
    assert bad_alias.status_code == 422 and bad_alias.get_json()["errors"]["aliases"][0]["code"] == "unknown_value"
    assert put(client, "assessment_groups", {"markers": []}).status_code == 422
    assert row_counts(context) == before


def test_markers_are_checked_and_a_marker_in_use_stays(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    centre = setup["centre"]
    markers = [
        {"code": "STAT-SENIOR", "name": "Seniorer", "level": "state", "owner": None},
        {"code": "JC-1", "name": "Eget projekt", "level": "job_centre", "owner": centre["code"]},
    ]
    assert put(client, "person_group_markers", {"markers": markers}).status_code == 200
    broken = [
        {"code": "R-1", "name": "Regionalt", "level": "region", "owner": "AMK Nord"},
        {"code": "J-1", "name": "Fremmed", "level": "job_centre", "owner": "99999"},
        {"code": "S-1", "name": "Stat", "level": "state", "owner": "AMK Øst"},
        {"code": "X-1", "name": "X", "level": "kommune", "owner": None},
    ]
    response = put(client, "person_group_markers", {"markers": broken})
    assert response.status_code == 422
    paths = [p["path"] for p in response.get_json()["errors"]["markers"]]
    assert paths == ["/0/owner", "/1/owner", "/2/owner", "/3/level"]

    anne, bo = setup["anne"], setup["bo"]
    offer = api.offer(setup["team"], [anne, bo], marker_routes={"JC-1": [bo["id"]]})
    response = put(client, "person_group_markers", {"markers": markers[:1]})
    assert response.status_code == 409 and response.get_json()["offers"][0]["id"] == offer["id"]
    moved = [markers[0], {**markers[1], "level": "region", "owner": "AMK Syd"}]  # out of the centre's sight
    assert put(client, "person_group_markers", {"markers": moved}).status_code == 409


def test_a_region_in_use_is_renamed_but_not_removed(api: Api, client: FlaskClient) -> None:
    centre = api.centre(region="AMK Øst")
    response = put(client, "regions", {"values": ["AMK Syd", "AMK Midt-Nord"]})
    assert response.status_code == 409 and centre["code"] in response.get_json()["detail"]

    renamed = {"values": ["AMK Hovedstaden og Sjælland", "AMK Syd", "AMK Midt-Nord"],
               "aliases": {"AMK Øst": "AMK Hovedstaden og Sjælland"}}  # fmt: skip
    assert put(client, "regions", renamed).status_code == 200
    assert client.get(f"/api/v1/job-centres/{centre['id']}").get_json()["region"] == "AMK Hovedstaden og Sjælland"


def test_an_offer_saved_while_its_value_is_being_removed_waits_and_is_checked_against_the_new_list(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    body = api.offer_body(setup["team"], [setup["anne"]])  # uses "Dagpengemodtager"
    without = [v for v in DEFAULT_REFERENCE.contact_groups.values if v != "Dagpengemodtager"]
    answers: list[Any] = []
    creation = threading.Thread(target=lambda: answers.append(client.post("/api/v1/offers", json=body)))

    with context.db.transaction() as session:
        replace_reference_list(session, "contact_groups", {"values": without})
        creation.start()
        deadline = time.monotonic() + 20
        while not waits_for_a_lock(context):
            assert time.monotonic() < deadline, "the offer was never made to wait for the list edit"
            time.sleep(0.02)
    creation.join(timeout=20)

    [response] = answers
    assert response.status_code == 422
    assert response.get_json()["errors"]["rules"][0]["code"] == "unknown_value"


def waits_for_a_lock(context: ServiceContext) -> bool:
    with context.db.engine.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        return bool(connection.execute(text(query)).scalar())
