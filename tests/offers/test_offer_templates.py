"""Templates of offers (A-4) over HTTP: a planner saves any of an offer's fields but its
dates under a name of the centre's, lists the templates of their own centres and removes
one; wrong input is refused in Danish and writes nothing."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from shared.service import ServiceContext
from tests.offers.conftest import Api
from tests.offers.test_admin_api import assert_refused

FIELDS = {"name": "Jobsamtale", "duration_minutes": 45, "channel": "phone", "caller": "citizen",
          "start_minutes": [0, 30], "accept_cancellation": False, "rebooking_days_before": None}  # fmt: skip


def test_a_template_is_saved_listed_and_removed(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    centre = setup["centre"]
    saved = api.post("/offer-templates", {"job_centre_id": centre["id"], "name": "Telefonsamtale", "fields": FIELDS})
    assert saved["fields"] == FIELDS and saved["name"] == "Telefonsamtale" and saved["created_by_name"]
    api.post("/offer-templates", {"job_centre_id": api.centre()["id"], "name": "Andet jobcenter", "fields": {}})
    listed = client.get(f"/api/v1/offer-templates?job_centre_id={centre['id']}").get_json()["items"]
    assert [t["name"] for t in listed] == ["Telefonsamtale"]
    assert len(client.get("/api/v1/offer-templates").get_json()["items"]) == 2
    again = {"job_centre_id": centre["id"], "name": "Telefonsamtale", "fields": {}}
    problem = assert_refused(client, context, "POST", "/offer-templates", again, "", status=409)
    assert problem["detail"] == "Jobcentret har allerede en skabelon, der hedder Telefonsamtale."
    assert client.delete(f"/api/v1/offer-templates/{saved['id']}").status_code == 204
    gone = assert_refused(client, context, "DELETE", f"/offer-templates/{saved['id']}", None, "", status=404)
    assert gone["detail"] == "Skabelonen findes ikke."


def test_a_template_has_no_dates_and_only_an_offers_fields(
    client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    body = {"job_centre_id": setup["centre"]["id"], "name": "Skabelon"}
    dated = assert_refused(client, context, "POST", "/offer-templates", body | {"fields": {"end_date": "2027-01-01"}},
                           "fields")  # fmt: skip
    assert dated["errors"]["fields"] == ["end_date: datoerne hører til det enkelte tilbud, ikke til skabelonen."]
    unknown = assert_refused(client, context, "POST", "/offer-templates", body | {"fields": {"farve": "rød"}}, "fields")
    assert unknown["errors"]["fields"] == ["Ukendt felt 'farve'."]
    wrong = {"duration_minutes": "lang", "citizen_may_choose_advisor": "ja", "advisor_ids": "alle"}
    problem = assert_refused(client, context, "POST", "/offer-templates", body | {"fields": wrong}, "fields")
    assert len(problem["errors"]["fields"]) == 3
    assert_refused(client, context, "POST", "/offer-templates", body | {"name": " ", "fields": {}}, "name")
    huge = {"description": "x" * 1000, "rules": {"groups": ["y" * 30_000]}}
    assert "for stor" in assert_refused(client, context, "POST", "/offer-templates", body | {"fields": huge},
                                        "fields")["errors"]["fields"][0]  # fmt: skip
