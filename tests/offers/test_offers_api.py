"""Staff create, read, list, edit and (de)activate individual offers over HTTP; every
broken rule answers 422 in Danish and writes nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from services.offers.models import Offer
from shared.service import ServiceContext
from tests.offers.conftest import IT_ACTOR, Api, today
from tests.offers.test_admin_api import assert_refused


def test_offer_is_created_and_read_back(api: Api, client: FlaskClient, setup: dict[str, Any]) -> None:
    body = api.offer_body(
        setup["team"], [setup["anne"], setup["bo"]], end_date=(today() + timedelta(days=60)).isoformat()
    )
    response = client.post("/api/v1/offers", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    offer = response.get_json()
    expected = {k: v for k, v in body.items()}
    assert {k: offer[k] for k in expected} == expected
    assert offer["conversation_type_name"] == "Jobsamtale"
    assert offer["active"] is True and offer["opens_on"] == today().isoformat()
    assert offer["updated_by"] == IT_ACTOR and offer["created_at"] == offer["updated_at"]
    assert client.get(f"/api/v1/offers/{offer['id']}").get_json() == offer


def test_defaults_place_from_room_and_phone_from_advisor_then_team(api: Api, setup: dict[str, Any]) -> None:
    team, room, anne = setup["team"], setup["room"], setup["anne"]
    in_room = api.offer(team, [anne], place=None, room_id=room["id"], opens_on=None)
    assert in_room["place"] == room["address"] and in_room["room_id"] == room["id"]
    assert in_room["opens_on"] == today().isoformat()

    by_phone = api.offer(team, [anne], channel="phone", place=None)
    assert by_phone["phone"] == anne["phone"]  # O-4: the first advisor's phone
    centre = setup["centre"]
    quiet = api.advisor(centre, team, name="Cecilie", phone=None)
    assert api.offer(team, [quiet, anne], channel="phone")["phone"] == team["phone"]  # else the team's
    assert api.offer(team, [anne], channel="phone", phone="70999999")["phone"] == "70999999"  # overridden


def test_patch_changes_only_the_given_fields_and_deactivates(
    api: Api, client: FlaskClient, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"], setup["bo"]])
    response = client.patch(
        f"/api/v1/offers/{offer['id']}",
        json={"name": "Jobsamtale for unge", "advisor_ids": [setup["bo"]["id"]], "rolling_weeks": None},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    changed = response.get_json()
    assert changed["name"] == "Jobsamtale for unge" and changed["advisor_ids"] == [setup["bo"]["id"]]
    assert changed["rolling_weeks"] is None and changed["updated_by"] == IT_ACTOR
    untouched = {
        k: v for k, v in offer.items() if k not in ("name", "advisor_ids", "rolling_weeks", "updated_at", "updated_by")
    }
    assert {k: changed[k] for k in untouched} == untouched
    assert datetime.fromisoformat(changed["updated_at"]) > datetime.fromisoformat(offer["updated_at"])

    hidden = client.patch(f"/api/v1/offers/{offer['id']}", json={"active": False}).get_json()
    assert hidden["active"] is False
    shown = client.patch(f"/api/v1/offers/{offer['id']}", json={"active": True}).get_json()
    assert shown["active"] is True


def test_a_default_place_follows_the_room_and_a_written_one_stays(
    api: Api, client: FlaskClient, setup: dict[str, Any]
) -> None:
    other_room = api.room(setup["centre"], name="Lokale 2", address="Havnen 2")
    offer = api.offer(setup["team"], [setup["anne"]], place=None, room_id=setup["room"]["id"])
    moved = client.patch(f"/api/v1/offers/{offer['id']}", json={"room_id": other_room["id"]}).get_json()
    assert moved["place"] == "Havnen 2"
    written = api.offer(setup["team"], [setup["anne"]], place="Biblioteket", room_id=setup["room"]["id"])
    kept = client.patch(f"/api/v1/offers/{written['id']}", json={"room_id": other_room["id"]}).get_json()
    assert kept["place"] == "Biblioteket"


def test_list_sorts_by_every_column_and_filters(api: Api, client: FlaskClient, setup: dict[str, Any]) -> None:
    team, anne = setup["team"], setup["anne"]
    a = api.offer(team, [anne], name="Cafémøde", conversation_type=9, channel="video", place=None)
    b = api.offer(team, [anne], name="anden samtale", conversation_type=12, channel="phone")
    c = api.offer(team, [anne], name="Brobygning", conversation_type=4, channel="in_person")
    client.patch(f"/api/v1/offers/{b['id']}", json={"active": False})

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/offers?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [o["name"] for o in response.get_json()["items"]]

    assert names("") == ["Brobygning", "Cafémøde", "anden samtale"]  # by name (PostgreSQL collation)
    assert names("sort=name&order=desc") == ["anden samtale", "Cafémøde", "Brobygning"]
    assert names("sort=conversation_type") == ["Brobygning", "Cafémøde", "anden samtale"]
    assert names("sort=channel") == ["Brobygning", "anden samtale", "Cafémøde"]
    assert names("sort=updated_at&order=desc") == ["anden samtale", "Brobygning", "Cafémøde"]
    assert names("sort=active") == ["anden samtale", "Brobygning", "Cafémøde"]
    assert names("sort=meeting_form") == ["Brobygning", "Cafémøde", "anden samtale"]
    assert names("active=true") == ["Brobygning", "Cafémøde"]
    assert names("active=false") == ["anden samtale"]
    assert names("channel=video") == [a["name"]]
    assert names("name=BRO") == [c["name"]]
    assert names(f"team_id={team['id']}&conversation_type=12") == ["anden samtale"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=colour", "sort"),
        ("order=up", "order"),
        ("active=maybe", "active"),
        ("conversation_type=261435836891", "conversation_type"),  # found by schemathesis: was a 500
        ("channel=pigeon", "channel"),
        ("meeting_form=dance", "meeting_form"),
    ],
)
def test_list_refuses_unknown_sorting(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/offers?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


RULES: list[tuple[dict[str, Any], str, str]] = [
    ({"name": "   "}, "name", "udfyldes"),
    ({"name": "x" * 201}, "name", "200 tegn"),
    ({"description": "æ" * 501}, "description", "500 tegn"),
    ({"description": "Mød os <b>i dag</b>"}, "description", "HTML"),
    ({"conversation_type": 99}, "conversation_type", "Ukendt samtaletype"),
    ({"meeting_form": "seminar"}, "meeting_form", "individual"),
    ({"channel": "fax"}, "channel", "video"),
    ({"channel": "in_person", "place": None}, "place", "adresse"),
    ({"phone": "ring"}, "phone", "telefonnummer"),
    ({"duration_minutes": 0}, "duration_minutes", "mindst 1 minut"),
    ({"duration_minutes": "30"}, "duration_minutes", "helt tal"),
    ({"reporting_minutes": -5}, "reporting_minutes", "negativ"),
    ({"start_minutes": []}, "start_minutes", "mindst ét"),
    ({"start_minutes": [0, 10]}, "start_minutes", "00, 15, 20, 30, 40, 45"),
    ({"first_meeting_date": None}, "first_meeting_date", "udfyldes"),
    ({"end_date": "{yesterday}"}, "end_date", "første mødedato"),
    ({"end_date": "{in_30}", "opens_on": "{in_40}"}, "opens_on", "slutdatoen"),
    ({"rolling_weeks": 0}, "rolling_weeks", "1 uge"),
    ({"rebooking_days_before": -1}, "rebooking_days_before", "negativt"),
    ({"advisor_ids": []}, "advisor_ids", "mindst én vejleder"),
    ({"advisor_ids": ["5f0c4bc4-3c7e-4f1e-9a4e-0f6b8c1d2e3f"]}, "advisor_ids", "findes ikke"),
    ({"team_id": "5f0c4bc4-3c7e-4f1e-9a4e-0f6b8c1d2e3f"}, "team_id", "findes ikke"),
    ({"room_id": "5f0c4bc4-3c7e-4f1e-9a4e-0f6b8c1d2e3f"}, "room_id", "findes ikke"),
    ({"accept_cancellation": "ja"}, "accept_cancellation", "sand eller falsk"),
    ({"colour": "blå"}, "colour", "Ukendt felt"),
]


@pytest.mark.parametrize(("overrides", "field", "words"), RULES, ids=[f"{r[1]}-{i}" for i, r in enumerate(RULES)])
def test_every_offer_rule_answers_422_in_danish_and_writes_nothing(
    api: Api,
    client: FlaskClient,
    context: ServiceContext,
    setup: dict[str, Any],
    overrides: dict[str, Any],
    field: str,
    words: str,
) -> None:
    days = {"{yesterday}": -1, "{in_30}": 30, "{in_40}": 40}
    dated = {
        k: (today() + timedelta(days=days[v])).isoformat()
        for k, v in overrides.items()
        if isinstance(v, str) and v in days
    }
    body = api.offer_body(setup["team"], [setup["anne"]], **(overrides | dated))
    problem = assert_refused(client, context, "POST", "/offers", body, field)
    errors = problem["errors"].get("json", problem["errors"])
    assert words in " ".join(errors[field]), errors


def test_offer_resources_must_belong_to_one_job_centre(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    other = api.centre()
    foreign_team, foreign_room = api.team(other), api.room(other)
    foreign_advisor = api.advisor(other, foreign_team, name="Ole Fremmed")
    team, anne = setup["team"], setup["anne"]
    checks = [
        (api.offer_body(team, [anne], team_id=foreign_team["id"]), "team_id"),
        (api.offer_body(team, [anne], room_id=foreign_room["id"]), "room_id"),
        (api.offer_body(team, [anne, foreign_advisor]), "advisor_ids"),
    ]
    for body, field in checks:
        assert_refused(client, context, "POST", "/offers", body, field)


def test_phone_offer_without_any_number_is_refused(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    silent_team = api.team(setup["centre"], name="Team Tavs", phone=None)
    silent = api.advisor(setup["centre"], silent_team, name="Tavs", phone=None)
    body = api.offer_body(silent_team, [silent], channel="phone", place=None, caller="citizen")
    problem = assert_refused(client, context, "POST", "/offers", body, "phone")
    assert problem["errors"]["phone"] == [
        "Angiv det nummer, borgeren skal ringe til; hverken den første vejleder eller teamet har et."
    ]
    called = api.offer(silent_team, [silent], channel="phone", place=None)  # the advisor calls: no number needed
    assert (called["caller"], called["phone"]) == ("advisor", None)


def test_who_calls_is_asked_of_phone_meetings_only(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    body = api.offer_body(setup["team"], [setup["anne"]], channel="phone", place=None, caller="nobody")
    assert "Hvem ringer op" in assert_refused(client, context, "POST", "/offers", body, "caller")["errors"]["caller"][0]
    offer = api.offer(setup["team"], [setup["anne"]], channel="phone", place=None, caller="citizen")
    assert (offer["caller"], offer["phone"]) == ("citizen", setup["anne"]["phone"])
    moved = client.patch(f"/api/v1/offers/{offer['id']}", json={"channel": "video"})
    assert moved.status_code == 200 and moved.get_json()["caller"] is None
    assert api.offer(setup["team"], [setup["anne"]], caller="citizen")["caller"] is None  # in person: no caller


def test_patch_is_checked_against_the_whole_offer(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]], end_date=(today() + timedelta(days=30)).isoformat())
    path = f"/offers/{offer['id']}"
    late = (today() + timedelta(days=31)).isoformat()
    assert_refused(client, context, "PATCH", path, {"first_meeting_date": late}, "end_date")
    assert_refused(client, context, "PATCH", path, {"meeting_form": "group"}, "meeting_form")
    assert_refused(client, context, "PATCH", path, {"name": None}, "name")
    assert_refused(client, context, "PATCH", path, {"job_centre_id": setup["centre"]["id"]}, "job_centre_id")
    assert_refused(client, context, "PATCH", path, {"place": None, "channel": "in_person"}, "place")
    assert client.get(f"/api/v1{path}").get_json() == offer


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("duration_minutes", 0),
        ("reporting_minutes", -1),
        ("description", "x" * 501),
        ("end_date", "before_first"),
        ("rolling_weeks", 0),
        ("meeting_form", "seminar"),
    ],
)
def test_the_database_itself_refuses_broken_offers(
    api: Api, context: ServiceContext, setup: dict[str, Any], column: str, value: Any
) -> None:
    offer = api.offer(setup["team"], [setup["anne"]])
    if value == "before_first":
        value = today() - timedelta(days=1)
    with pytest.raises(IntegrityError), context.db.transaction() as session:
        row = session.get(Offer, uuid.UUID(offer["id"]))
        assert row is not None
        setattr(row, column, value)
