"""Conversation types as data (A-2) over HTTP: seeded with the public code list, renamed and
added by an administrator of every centre (the offers and their list follow at once), and
retired: not chosen for new offers or variants, kept by the offers that have it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from shared.service import ServiceContext
from tests.offers.conftest import Api
from tests.offers.test_admin_api import assert_refused

DOMAIN_CODES = {
    4: "Opfølgningssamtale",
    7: "Jobsamtale",
    8: "Henvisning",
    9: "Informationsmøde",
    10: "CV-samtale",
    11: "Formidlingssamtale",
    12: "Anden samtale",
    13: "Informationsmøde uden mødepligt",
    15: "Rådighedssamtale",
    17: "Jobsamtale med a-kasse",
    19: "Fælles jobsamtale med dagpengemodtager",
}
"""The codes DOMAIN.md names (A-2)."""


def types(client: FlaskClient) -> dict[int, dict[str, Any]]:
    response = client.get("/api/v1/conversation-types")
    assert response.status_code == 200, response.get_json()
    return {t["code"]: t for t in response.get_json()["items"]}


def put(client: FlaskClient, code: int, body: dict[str, Any]) -> dict[str, Any]:
    response = client.put(f"/api/v1/conversation-types/{code}", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def listed_names(client: FlaskClient) -> dict[str, str]:
    return {o["name"]: o["conversation_type_name"] for o in client.get("/api/v1/offers").get_json()["items"]}


def test_the_types_are_seeded_with_the_public_code_list(client: FlaskClient) -> None:
    found = types(client)
    assert {code: t["name"] for code, t in found.items()} == DOMAIN_CODES
    assert not any(t["retired"] for t in found.values()) and {t["offers"] for t in found.values()} == {0}


def test_a_renamed_type_shows_at_once_on_its_offers_and_in_the_kept_list(
    api: Api, client: FlaskClient, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]], name="Samtale om job")
    assert listed_names(client) == {"Samtale om job": "Jobsamtale"}  # the list is kept from here
    renamed = put(client, 7, {"name": "Jobsamtale i jobcentret"})
    assert (renamed["name"], renamed["offers"], renamed["changed_by"]) == ("Jobsamtale i jobcentret", 1, "tests (IT)")
    assert client.get(f"/api/v1/offers/{offer['id']}").get_json()["conversation_type_name"] == "Jobsamtale i jobcentret"
    assert listed_names(client) == {"Samtale om job": "Jobsamtale i jobcentret"}


def test_an_added_type_is_chosen_for_offers_and_variants(api: Api, client: FlaskClient, setup: dict[str, Any]) -> None:
    added = put(client, 21, {"name": "Jobsamtale med virksomhed"})
    assert (added["code"], added["retired"], added["offers"]) == (21, False, 0)
    path = f"/job-centres/{setup['centre']['id']}/conversation-variants"
    variant = api.post(path, {"conversation_type": 21, "name": "Virksomhedsbesøg"})
    assert variant["conversation_type_name"] == "Jobsamtale med virksomhed"
    offer = api.offer(setup["team"], [setup["anne"]], conversation_type=21, variant="Virksomhedsbesøg")
    assert (offer["conversation_type"], offer["conversation_type_name"]) == (21, "Jobsamtale med virksomhed")
    assert types(client)[21]["offers"] == 1


def test_a_retired_type_is_kept_by_its_offers_and_refused_for_new_ones(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    team, anne = setup["team"], setup["anne"]
    kept = api.offer(team, [anne], conversation_type=8, name="Henvisning til forløb")
    other = api.offer(team, [anne], name="Jobsamtale")
    put(client, 8, {"name": "Henvisning", "retired": True})
    problem = assert_refused(
        client, context, "POST", "/offers", api.offer_body(team, [anne], conversation_type=8), "conversation_type"
    )
    assert problem["errors"]["conversation_type"] == ["Samtaletypen 8 Henvisning er udgået og kan ikke vælges længere."]
    path = f"/job-centres/{setup['centre']['id']}/conversation-variants"
    assert_refused(client, context, "POST", path, {"conversation_type": 8, "name": "Ekstern"}, "conversation_type")
    assert_refused(client, context, "PATCH", f"/offers/{other['id']}", {"conversation_type": 8}, "conversation_type")
    edited = client.patch(f"/api/v1/offers/{kept['id']}", json={"duration_minutes": 45})
    assert edited.status_code == 200, edited.get_json()  # the offer that has it keeps it
    assert edited.get_json()["conversation_type_name"] == "Henvisning"
    unknown = assert_refused(
        client, context, "POST", "/offers", api.offer_body(team, [anne], conversation_type=5), "conversation_type"
    )
    assert "8 (Henvisning)" not in unknown["errors"]["conversation_type"][0]  # only those that may be chosen
    put(client, 8, {"name": "Henvisning", "retired": False})
    assert api.offer(team, [anne], conversation_type=8, name="Ny henvisning")["conversation_type"] == 8


def test_a_wrong_type_is_refused_in_danish_and_changes_nothing(client: FlaskClient, context: ServiceContext) -> None:
    taken = assert_refused(client, context, "PUT", "/conversation-types/4", {"name": "jobsamtale"}, "name")
    assert taken["errors"]["name"] == ["Navnet bruges allerede af samtaletype 7 Jobsamtale."]
    assert_refused(client, context, "PUT", "/conversation-types/4", {"name": "   "}, "name")
    assert_refused(client, context, "PUT", "/conversation-types/4", {"name": "x" * 101}, "name")
    missing = assert_refused(client, context, "PUT", "/conversation-types/4", {}, "name")
    assert "Missing" not in str(missing)
    for code in (0, 1000):
        out_of_range = assert_refused(client, context, "PUT", f"/conversation-types/{code}", {"name": "Ny"}, "", 404)
        assert out_of_range["detail"] == "Samtaletypen findes ikke. Koden skal være et tal fra 1 til 999."
    assert types(client)[4]["name"] == "Opfølgningssamtale"
