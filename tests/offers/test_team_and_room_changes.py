"""Staff change teams and meeting rooms over HTTP (PATCH): only the fields given change,
wrong input is refused in Danish and writes nothing, and the offers that used the team's
(or the first advisor's) phone number or the room's address follow the new one (revision log, ``offer.changed``),
while a number or place staff wrote themselves stays."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from shared import events as ev
from shared.service import ServiceContext
from tests.offers.conftest import IT_ACTOR, Api, outbox
from tests.offers.test_admin_api import assert_refused
from tests.offers.test_revisions_and_targets import log


def patch(client: FlaskClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(f"/api/v1{path}", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def offer_of(client: FlaskClient, offer: dict[str, Any]) -> dict[str, Any]:
    return dict(client.get(f"/api/v1/offers/{offer['id']}").get_json())


def changed_offers(context: ServiceContext) -> list[str]:
    return [e.payload["offer_id"] for e in outbox(context) if e.type == ev.OFFER_CHANGED]


def test_a_team_is_renamed_and_its_phone_offers_follow_its_new_number(
    api: Api, client: FlaskClient, context: ServiceContext
) -> None:
    centre = api.centre()
    team = api.team(centre, name="Team Øst", phone="70000000")
    silent = api.advisor(centre, team, phone=None)  # calls come from the team's number
    own = api.advisor(centre, team, name="Bo Nielsen", phone="70000002", caldav_username="bo")
    by_team = api.offer(team, [silent], channel="phone", place=None, name="Telefonsamtale")
    by_advisor = api.offer(team, [own], channel="phone", place=None, name="Bos telefonsamtale")
    typed = api.offer(team, [silent], channel="phone", place=None, phone="70999999", name="Hotline")
    assert offer_of(client, by_team)["phone"] == "70000000"

    renamed = patch(client, f"/teams/{team['id']}", {"name": "Team Nord"})
    assert renamed["name"] == "Team Nord" and renamed["phone"] == "70000000"
    assert changed_offers(context) == []  # nothing an offer shows changed

    assert patch(client, f"/teams/{team['id']}", {"phone": "+45 70 11 11 11"})["phone"] == "+45 70 11 11 11"
    assert offer_of(client, by_team)["phone"] == "+45 70 11 11 11"
    assert offer_of(client, by_advisor)["phone"] == "70000002"  # the advisor's number comes first
    assert offer_of(client, typed)["phone"] == "70999999"  # staff wrote it
    assert changed_offers(context) == [by_team["id"]]
    assert log(context, by_team["id"])[-1] == ("phone", "70000000", "+45 70 11 11 11", IT_ACTOR)
    listed = client.get(f"/api/v1/teams?job_centre_id={centre['id']}").get_json()["items"]
    assert [(t["name"], t["phone"]) for t in listed] == [("Team Nord", "+45 70 11 11 11")]


def test_a_team_without_a_number_leaves_its_offers_their_old_one(
    api: Api, client: FlaskClient, context: ServiceContext
) -> None:
    centre = api.centre()
    team = api.team(centre, phone="70000000")
    silent = api.advisor(centre, team, phone=None)
    offer = api.offer(team, [silent], channel="phone", place=None)
    assert patch(client, f"/teams/{team['id']}", {"phone": None})["phone"] is None
    assert offer_of(client, offer)["phone"] == "70000000"  # a phone offer is never left without a number
    assert changed_offers(context) == []


def test_a_room_moves_and_its_in_person_offers_follow_its_address(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    team, room, anne = setup["team"], setup["room"], setup["anne"]
    in_room = api.offer(team, [anne], room_id=room["id"], place=None, name="I lokalet")
    elsewhere = api.offer(team, [anne], room_id=room["id"], place="Havnegade 2", name="Et andet sted")
    assert offer_of(client, in_room)["place"] == room["address"]

    moved = patch(client, f"/rooms/{room['id']}", {"address": "Stationsvej 4, 9999 Demokøbing", "capacity": 20})
    assert (moved["name"], moved["address"], moved["capacity"]) == ("Lokale 1", "Stationsvej 4, 9999 Demokøbing", 20)
    assert offer_of(client, in_room)["place"] == "Stationsvej 4, 9999 Demokøbing"
    assert offer_of(client, elsewhere)["place"] == "Havnegade 2"
    assert changed_offers(context) == [in_room["id"]]
    assert log(context, in_room["id"])[-1] == ("place", room["address"], "Stationsvej 4, 9999 Demokøbing", IT_ACTOR)


def test_wrong_team_and_room_changes_are_refused_in_danish_and_change_nothing(
    client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    team, room = setup["team"], setup["room"]
    assert_refused(client, context, "PATCH", f"/teams/{team['id']}", {"name": ""}, "name")
    assert_refused(client, context, "PATCH", f"/teams/{team['id']}", {"phone": "ring mig"}, "phone")
    assert_refused(client, context, "PATCH", f"/teams/{team['id']}", {"job_centre_id": team["id"]}, "job_centre_id")
    assert_refused(client, context, "PATCH", f"/rooms/{room['id']}", {"capacity": 0}, "capacity")
    assert_refused(client, context, "PATCH", f"/rooms/{room['id']}", {"address": None}, "address")
    problem = assert_refused(client, context, "PATCH", f"/rooms/{team['id']}", {"name": "X"}, "", status=404)
    assert problem["detail"] == "Mødelokalet findes ikke."
    assert client.get(f"/api/v1/rooms?job_centre_id={setup['centre']['id']}").get_json()["items"] == [room]
    listed = client.get(f"/api/v1/teams?job_centre_id={setup['centre']['id']}").get_json()["items"]
    assert listed == [team]


def test_an_advisors_new_number_reaches_the_phone_offers_they_come_first_on(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    team, anne, bo = setup["team"], setup["anne"], setup["bo"]
    first = api.offer(team, [anne, bo], channel="phone", place=None, name="Anne først")
    second = api.offer(team, [bo, anne], channel="phone", place=None, name="Bo først")
    patch(client, f"/advisors/{anne['id']}", {"phone": "70123456"})
    assert offer_of(client, first)["phone"] == "70123456"
    assert offer_of(client, second)["phone"] == bo["phone"]
    assert changed_offers(context) == [first["id"]]
    assert log(context, first["id"])[-1] == ("phone", anne["phone"], "70123456", IT_ACTOR)
