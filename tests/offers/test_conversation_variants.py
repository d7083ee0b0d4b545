"""A job centre's conversation type variants (A-2) over HTTP: its administrators add and
remove them, wrong input is refused in Danish and writes nothing, and an offer names one of
its centre's variants of its conversation type, or none; an offer keeps a variant that was
removed since, until staff change it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from shared.service import ServiceContext
from tests.offers.conftest import Api
from tests.offers.test_admin_api import assert_refused


def variants_path(centre: dict[str, Any]) -> str:
    return f"/job-centres/{centre['id']}/conversation-variants"


def listed(client: FlaskClient, centre: dict[str, Any]) -> list[tuple[int, str, str]]:
    response = client.get(f"/api/v1{variants_path(centre)}")
    assert response.status_code == 200, response.get_json()
    return [(v["conversation_type"], v["conversation_type_name"], v["name"]) for v in response.get_json()["items"]]


def test_variants_are_added_listed_by_type_and_removed(api: Api, client: FlaskClient, context: ServiceContext) -> None:
    centre, other = api.centre(), api.centre()
    api.post(variants_path(centre), {"conversation_type": 7, "name": "Opstart"})
    api.post(variants_path(centre), {"conversation_type": 4, "name": " Opfølgning "})
    last = api.post(variants_path(centre), {"conversation_type": 7, "name": "Afslutning"})
    api.post(variants_path(other), {"conversation_type": 7, "name": "Opstart"})  # each centre its own list
    assert listed(client, centre) == [
        (4, "Opfølgningssamtale", "Opfølgning"),
        (7, "Jobsamtale", "Afslutning"),
        (7, "Jobsamtale", "Opstart"),
    ]
    problem = assert_refused(
        client, context, "POST", variants_path(centre), {"conversation_type": 7, "name": "Opstart"}, "", status=409
    )
    assert problem["detail"] == "Jobcentret har allerede varianten Opstart af Jobsamtale."
    assert client.delete(f"/api/v1{variants_path(centre)}/{last['id']}").status_code == 204
    assert [name for _c, _t, name in listed(client, centre)] == ["Opfølgning", "Opstart"]
    gone = assert_refused(client, context, "DELETE", f"{variants_path(centre)}/{last['id']}", None, "", status=404)
    assert gone["detail"] == "Varianten findes ikke."
    [their] = client.get(f"/api/v1{variants_path(other)}").get_json()["items"]
    assert assert_refused(client, context, "DELETE", f"{variants_path(centre)}/{their['id']}", None, "", status=404)


def test_a_wrong_variant_is_refused_in_danish(api: Api, client: FlaskClient, context: ServiceContext) -> None:
    centre = api.centre()
    path = variants_path(centre)
    problem = assert_refused(
        client, context, "POST", path, {"conversation_type": 5, "name": "Opstart"}, "conversation_type"
    )
    assert problem["errors"]["conversation_type"][0].startswith("Ukendt samtaletype; brug en af 4 (Opfølgningssamtale)")
    assert_refused(client, context, "POST", path, {"conversation_type": 7, "name": "   "}, "name")
    assert_refused(client, context, "POST", path, {"conversation_type": 7, "name": "x" * 101}, "name")
    assert_refused(client, context, "POST", path, {"name": "Opstart"}, "conversation_type")


def test_an_offer_names_one_of_its_centres_variants_of_its_type(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    team, anne, centre = setup["team"], setup["anne"], setup["centre"]
    body = api.offer_body(team, [anne], variant="Opstart")
    problem = assert_refused(client, context, "POST", "/offers", body, "variant")
    assert problem["errors"]["variant"] == [
        "Jobcentret har ingen varianter af Jobsamtale. Lad feltet stå tomt, eller få en administrator til at "
        "oprette varianten på jobcentrets side."
    ]
    start = api.post(variants_path(centre), {"conversation_type": 7, "name": "Opstart"})
    api.post(variants_path(centre), {"conversation_type": 4, "name": "Opfølgning"})
    wrong_type = api.offer_body(team, [anne], variant="Opfølgning")  # a variant of type 4, the offer is 7
    problem = assert_refused(client, context, "POST", "/offers", wrong_type, "variant")
    assert problem["errors"]["variant"] == ["Ukendt variant af Jobsamtale; jobcentrets varianter er: Opstart."]
    offer = api.offer(team, [anne], variant="Opstart")
    assert offer["variant"] == "Opstart"

    assert client.delete(f"/api/v1{variants_path(centre)}/{start['id']}").status_code == 204
    edited = client.patch(f"/api/v1/offers/{offer['id']}", json={"description": "Ny tekst."})
    assert edited.status_code == 200 and edited.get_json()["variant"] == "Opstart"  # kept
    moved = assert_refused(client, context, "PATCH", f"/offers/{offer['id']}", {"conversation_type": 4}, "variant")
    assert moved["errors"]["variant"] == ["Ukendt variant af Opfølgningssamtale; jobcentrets varianter er: Opfølgning."]
    cleared = client.patch(f"/api/v1/offers/{offer['id']}", json={"conversation_type": 4, "variant": None})
    assert cleared.status_code == 200 and cleared.get_json()["variant"] is None
