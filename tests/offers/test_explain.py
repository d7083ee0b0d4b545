"""Staff ask why a citizen may or may not see and book an offer: the answer names the failed
groups and rules in Danish; the CPR number travels only in the body and its use is logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from services.offers.models import CprAccessLog
from shared.cpr_vault import vault_for_settings
from shared.service import ServiceContext
from tests.offers.conftest import IT_ACTOR, Api
from tests.offers.test_participant_rules import one_group, rule

CPR = "0101904000"  # fictitious: 1 January 1990


def explain(client: FlaskClient, offer: dict[str, Any], citizen: dict[str, Any], **extra: Any) -> Any:
    return client.post(
        f"/api/v1/offers/{offer['id']}/explain",
        json={"citizen": citizen, **extra},
    )


def access_log(context: ServiceContext) -> list[tuple[str, str, str]]:
    with context.db.transaction() as session:
        rows = session.scalars(select(CprAccessLog).order_by(CprAccessLog.id))
        vault = vault_for_settings(context.settings)
        return [(r.actor, r.purpose, vault.unseal(r.subject_cpr_sealed).digits) for r in rows]


def test_an_eligible_citizen(api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]) -> None:
    offer = api.offer(setup["team"], [setup["anne"]])
    response = explain(client, offer, {"cpr": CPR, "contact_group": "Dagpengemodtager"}, day="2026-12-07")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "offer_id": offer["id"],
        "day": "2026-12-07",
        "eligible": True,
        "failed": [],
        "message": "Borgeren opfylder reglerne for deltagere.",
    }
    assert access_log(context) == [(IT_ACTOR, "explain", CPR)]


def test_the_failed_groups_and_rules_are_named(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rules = {
        "join": "or",
        "groups": [
            {"match": "all", "rules": [rule("contact_group", "eq", "Dagpengemodtager"), rule("age", "lt", 30)]},
            {"match": "any", "rules": [rule("person_group_marker", "has", "STAT-SENIOR")]},
        ],
    }
    offer = api.offer(setup["team"], [setup["anne"]], rules=rules)
    citizen = {"cpr": "010190-4000", "contact_group": "Kontanthjælpsmodtager"}

    response = explain(client, offer, citizen, day="2026-12-07")

    body = response.get_json()
    assert response.status_code == 200 and body["eligible"] is False
    assert [(g["group"], g["match"], [r["rule"] for r in g["rules"]]) for g in body["failed"]] == [
        (1, "all", [1, 2]),
        (2, "any", [1]),
    ]
    first, age = body["failed"][0]["rules"]
    assert first["message"] == (
        "Kontaktgruppe lig med Dagpengemodtager er ikke opfyldt: borgerens kontaktgruppe er Kontanthjælpsmodtager."
    )
    assert age["message"] == "Alder mindre end 30 er ikke opfyldt: borgeren er 36 år."
    assert body["failed"][1]["rules"][0]["code"] == "missing_value"
    assert "Særlig indsats for ledige seniorer" in body["message"]
    assert CPR not in caplog.text and "010190-4000" not in caplog.text
    assert access_log(context) == [(IT_ACTOR, "explain", CPR)]


def test_an_invalid_citizen_is_422_and_nothing_is_logged(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]])
    response = explain(client, offer, {"cpr": "3213904000", "contact_group": "Pensionist", "shoe": 42})
    assert response.status_code == 422
    codes = {(p["path"], p["code"]) for p in response.get_json()["errors"]["citizen"]}
    assert codes == {("/cpr", "invalid_cpr"), ("/contact_group", "unknown_value"), ("/shoe", "unknown_field")}
    assert "3213904000" not in response.get_data(as_text=True)
    assert access_log(context) == []
    assert client.post(f"/api/v1/offers/{offer['id']}/explain", json={"day": "2026-12-07"}).status_code == 422


def test_an_unknown_offer_is_404_without_touching_the_log(client: FlaskClient, context: ServiceContext) -> None:
    response = client.post(
        "/api/v1/offers/5f0c4bc4-3c7e-4f1e-9a4e-0f6b8c1d2e3f/explain", json={"citizen": {"cpr": CPR}}
    )
    assert response.status_code == 404 and access_log(context) == []


def test_a_header_naming_someone_else_does_not_change_the_logged_actor(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]], rules=one_group(rule("age", "gte", 18)))
    response = client.post(
        f"/api/v1/offers/{offer['id']}/explain",
        json={"citizen": {"cpr": CPR}},
        headers={"X-Planner-Staff": "medarbejder-7"},  # the free-text header of old: ignored
    )
    assert response.status_code == 200 and response.get_json()["eligible"] is True
    assert access_log(context) == [(IT_ACTOR, "explain", CPR)]
