"""Staff give every offer its participant rules (R-1 to R-4) and marker routes (R-5): they are
checked against the job centre's reference lists, every problem is listed in Danish with a
JSON pointer, the canonical rules are stored and travel in the offer events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.offers.models import Offer
from shared import events as ev
from shared.service import ServiceContext
from tests.offers.conftest import ADULT_ON_BENEFITS, Api, outbox, row_counts


def one_group(*rules: dict[str, Any], match: str = "all") -> dict[str, Any]:
    return {"join": "and", "groups": [{"match": match, "rules": list(rules)}]}


def rule(type_: str, condition: str, value: Any) -> dict[str, Any]:
    return {"type": type_, "condition": condition, "value": value}


def refused_rules(client: FlaskClient, context: ServiceContext, method: str, path: str, body: Any) -> list[Any]:
    """The request is refused with 422; returns ``errors["rules"]``; nothing was written."""
    before = row_counts(context)
    response = client.open(f"/api/v1{path}", method=method, json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert row_counts(context) == before
    return list(response.get_json()["errors"]["rules"])


def test_rules_are_stored_canonical_and_published(api: Api, client: FlaskClient, context: ServiceContext,
                                                  setup: dict[str, Any]) -> None:  # fmt: skip
    loose = one_group(rule("contact_group", "eq", "  dagpengemodtager "), rule("in_activation", "ne", "ja"))
    offer = api.offer(setup["team"], [setup["anne"]], rules=loose)

    canonical = one_group(rule("contact_group", "eq", "Dagpengemodtager"), rule("in_activation", "ne", True))
    assert offer["rules"] == canonical and offer["marker_routes"] == {}
    assert client.get(f"/api/v1/offers/{offer['id']}").get_json()["rules"] == canonical
    published = ev.OfferPayload.model_validate(outbox(context)[-1].payload)
    assert published.rules == canonical and published.marker_routes == {}


def test_an_offer_without_rules_is_refused(api: Api, client: FlaskClient, context: ServiceContext,
                                           setup: dict[str, Any]) -> None:  # fmt: skip
    body = api.offer_body(setup["team"], [setup["anne"]])
    del body["rules"]
    response = client.post("/api/v1/offers", json=body)
    assert response.status_code == 422 and "rules" in response.get_json()["errors"]
    [problem] = refused_rules(client, context, "POST", "/offers", {**body, "rules": {"groups": []}})
    assert problem == {
        "path": "/groups",
        "code": "too_few_rules",
        "message": "Der skal altid være mindst 1 regel knyttet til et online tilbud.",
    }


def test_every_problem_is_listed_with_path_code_and_danish_message(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    rules = {
        "join": "xor",
        "groups": [
            {"match": "all", "rules": [rule("shoe_size", "eq", 42), rule("contact_group", "gt", "Dagpengemodtager")]},
            {"match": "any", "rules": [rule("age", "gte", 0), rule("assessment_group", "eq", "Klar til job")]},
            {"match": "all", "rules": []},
        ],
    }
    body = api.offer_body(setup["team"], [setup["anne"]], rules=rules)

    problems = refused_rules(client, context, "POST", "/offers", body)

    assert [(p["path"], p["code"]) for p in problems] == [
        ("/join", "invalid_join"),
        ("/groups/0/rules/0/type", "unknown_type"),
        ("/groups/0/rules/1/condition", "condition_not_allowed"),
        ("/groups/1/rules/0/value", "not_positive"),
        ("/groups/1/rules/1/value", "unknown_value"),
        ("/groups/2/rules", "empty_group"),
    ]
    assert problems[4]["message"] == "Gruppe 2, regel 2: 'Klar til job' findes ikke i listen over visitationsgrupper."


def test_at_most_thirty_rules(api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]) -> None:
    thirty = one_group(*[rule("age", "gte", n) for n in range(18, 48)])
    assert api.offer(setup["team"], [setup["anne"]], rules=thirty)["rules"] == thirty
    body = api.offer_body(setup["team"], [setup["anne"]], rules=one_group(*[rule("age", "gte", 18)] * 31))
    [problem] = refused_rules(client, context, "POST", "/offers", body)
    assert problem["code"] == "too_many_rules" and problem["message"] == "Der må højst være 30 regler; der er 31."


def test_patch_checks_rules_and_cannot_remove_them(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]])
    path = f"/offers/{offer['id']}"
    [problem] = refused_rules(client, context, "PATCH", path, {"rules": one_group(rule("age", "gte", "atten"))})
    assert problem["code"] == "not_whole_number"
    response = client.patch(f"/api/v1{path}", json={"rules": None})
    assert response.status_code == 422 and "rules" in response.get_json()["errors"]

    younger = one_group(rule("age", "lt", 30), match="any")
    changed = client.patch(f"/api/v1{path}", json={"rules": younger})
    assert changed.status_code == 200 and changed.get_json()["rules"] == younger
    event = outbox(context)[-1]
    assert event.type == ev.OFFER_CHANGED and event.payload["rules"] == younger


def test_markers_follow_the_job_centres_region_r4(api: Api, client: FlaskClient, context: ServiceContext) -> None:
    east = api.centre(region="AMK Øst")
    sub = api.centre(parent_id=east["id"])
    assert sub["region"] == "AMK Øst"  # a sub-job-centre is in its parent's region
    markers = [
        {"code": "STAT-UNGE", "name": "Unge", "level": "state", "owner": None},
        {"code": "OEST-1", "name": "Projekt Øst", "level": "region", "owner": "AMK Øst"},
        {"code": "SYD-1", "name": "Projekt Syd", "level": "region", "owner": "AMK Syd"},
        {"code": "JC-EGET", "name": "Eget projekt", "level": "job_centre", "owner": east["code"]},
    ]
    assert client.put("/api/v1/reference-lists/person_group_markers", json={"markers": markers}).status_code == 200
    team = api.team(sub)
    advisor = api.advisor(sub, team)

    for code in ("STAT-UNGE", "oest-1", "JC-EGET"):  # state, own region, the parent's own marker
        offer = api.offer(team, [advisor], rules=one_group(rule("person_group_marker", "has", code)))
        assert offer["rules"]["groups"][0]["rules"][0]["value"] == code.upper()
    body = api.offer_body(team, [advisor], rules=one_group(rule("person_group_marker", "has", "SYD-1")))
    [problem] = refused_rules(client, context, "POST", "/offers", body)
    assert problem["code"] == "marker_not_visible" and "Projekt Syd" in problem["message"]


def test_job_centre_rules_name_the_centre_or_its_sub_centres(
    api: Api, client: FlaskClient, context: ServiceContext
) -> None:
    centre = api.centre(code="20100")
    api.centre(code="20101", parent_id=centre["id"])
    api.centre(code="30100")
    team = api.team(centre)
    advisor = api.advisor(centre, team)
    sub_only = one_group(rule("job_centre", "eq", "20101"))
    assert api.offer(team, [advisor], rules=sub_only)["rules"] == sub_only
    body = api.offer_body(team, [advisor], rules=one_group(rule("job_centre", "eq", "30100")))
    assert refused_rules(client, context, "POST", "/offers", body)[0]["code"] == "unknown_value"


def test_a_new_job_centre_needs_a_known_region(api: Api, client: FlaskClient) -> None:
    response = client.post("/api/v1/job-centres", json={"code": "40100", "name": "Jobcenter X", "region": "Mars"})
    assert response.status_code == 422 and "AMK Øst" in response.get_json()["errors"]["region"][0]
    assert api.centre(region="amk syd")["region"] == "AMK Syd"


def test_marker_routes_link_markers_to_advisors_of_the_offer(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    anne, bo = setup["anne"], setup["bo"]
    routes = {"stat-senior": [bo["id"]]}
    offer = api.offer(setup["team"], [anne, bo], marker_routes=routes)
    assert offer["marker_routes"] == {"STAT-SENIOR": [bo["id"]]}
    assert outbox(context)[-1].payload["marker_routes"] == {"STAT-SENIOR": [bo["id"]]}

    stranger = api.advisor(setup["centre"], setup["team"], name="Cecilie")
    bad = {"STAT-SENIOR": [stranger["id"]], "UKENDT": [anne["id"]], "STAT-UNGE": []}
    body = api.offer_body(setup["team"], [anne, bo], marker_routes=bad)
    response = client.post("/api/v1/offers", json=body)
    assert response.status_code == 422
    codes = {(p["path"], p["code"]) for p in response.get_json()["errors"]["marker_routes"]}
    assert codes == {
        ("/STAT-SENIOR", "advisor_not_on_offer"),
        ("/UKENDT", "unknown_value"),
        ("/STAT-UNGE", "empty_route"),
    }

    # Taking the routed advisor off the offer would leave the route pointing nowhere.
    response = client.patch(f"/api/v1/offers/{offer['id']}", json={"advisor_ids": [anne["id"]]})
    assert response.status_code == 422 and response.get_json()["errors"]["marker_routes"][0]["code"] == (
        "advisor_not_on_offer"
    )


def test_an_offer_from_before_rules_can_still_be_edited_but_not_lose_them(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]])
    with context.db.transaction() as session:
        row = session.get(Offer, uuid.UUID(offer["id"]))
        assert row is not None
        row.rules = None  # as the migration leaves offers created before rules existed
    response = client.patch(f"/api/v1/offers/{offer['id']}", json={"active": False})
    assert response.status_code == 200 and response.get_json()["rules"] is None
    assert outbox(context)[-1].payload["rules"] is None
    response = client.patch(f"/api/v1/offers/{offer['id']}", json={"rules": ADULT_ON_BENEFITS})
    assert response.status_code == 200 and response.get_json()["rules"] == ADULT_ON_BENEFITS


@pytest.mark.parametrize("value", [True, "ja", "Ja", "yes"])
def test_yes_no_rules_accept_ja_and_true(api: Api, setup: dict[str, Any], value: Any) -> None:
    offer = api.offer(setup["team"], [setup["anne"]], rules=one_group(rule("other_actor", "eq", value)))
    assert offer["rules"]["groups"][0]["rules"][0]["value"] is True
