"""Group offers (fællesmøder, O-11 to O-13, V-7) over HTTP: staff create one, add concrete
meetings at times when all its advisors are free, change their seats, move and cancel them;
each change is in the revision log and announced to booking and the worker with every
meeting; the name stays once saved; wrong input is refused in Danish and writes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from services.offers.consumer import handle
from services.offers.models import OfferRevision
from shared import events as ev
from shared.service import ServiceContext
from tests.offers.conftest import Api, outbox, today
from tests.offers.test_admin_api import assert_refused
from tests.offers.test_group_meeting_times import announce, at, next_monday


@pytest.fixture
def group(api: Api, context: ServiceContext, setup: dict[str, Any]) -> dict[str, Any]:
    """An information meeting offer in a room for 25, with both advisors free on the next
    two Mondays from 9 to 15."""
    monday = next_monday()
    free = [(at(day, 9), at(day, 15)) for day in (monday, monday + timedelta(days=7))]
    for advisor in (setup["anne"], setup["bo"]):
        announce(context, advisor["id"], free)
    body = api.offer_body(
        setup["team"], [setup["anne"], setup["bo"]], name="Informationsmøde om job", conversation_type=9,
        meeting_form="group", room_id=setup["room"]["id"], place=None, duration_minutes=60, reporting_minutes=15,
    )  # fmt: skip
    for key in ("start_minutes", "first_meeting_date", "citizen_may_choose_advisor"):
        body.pop(key)
    return {"offer": api.post("/offers", body), "monday": monday}


def meetings_path(offer: dict[str, Any]) -> str:
    return f"/offers/{offer['id']}/meetings"


def last_meetings(context: ServiceContext) -> list[ev.GroupMeetingPayload]:
    last = [e for e in outbox(context) if e.type in (ev.OFFER_PUBLISHED, ev.OFFER_CHANGED)][-1]
    return list(ev.OfferPayload.model_validate(last.payload).meetings)


def test_a_group_offer_gets_meetings_with_the_rooms_seats_or_a_number_and_extra_seats(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any], group: dict[str, Any]
) -> None:
    offer, monday = group["offer"], group["monday"]
    assert (offer["meeting_form"], offer["start_minutes"], offer["place"]) == ("group", [], setup["room"]["address"])
    first = api.post(meetings_path(offer), {"start": at(monday, 10).isoformat(), "extra_seats": 5})
    assert (first["seats"], first["room_capacity"], first["extra_seats"]) == (setup["room"]["capacity"], True, 5)
    assert datetime.fromisoformat(first["end"]) - datetime.fromisoformat(first["start"]) == timedelta(minutes=60)
    second = api.post(meetings_path(offer), {"start": at(monday + timedelta(days=7), 13).isoformat(), "seats": 30})
    assert (second["seats"], second["room_capacity"], second["extra_seats"]) == (30, False, 0)
    announced = last_meetings(context)
    assert [(m.meeting_id, m.start, m.seats, m.extra_seats) for m in announced] == [
        (first["id"], at(monday, 10), setup["room"]["capacity"], 5),
        (second["id"], at(monday + timedelta(days=7), 13), 30, 0),
    ]
    listed = client.get(f"/api/v1{meetings_path(offer)}").get_json()["items"]
    assert [m["id"] for m in listed] == [first["id"], second["id"]]


def test_a_meeting_needs_a_time_when_every_advisor_is_free(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any], group: dict[str, Any]
) -> None:
    offer, monday = group["offer"], group["monday"]
    path = meetings_path(offer)
    late = assert_refused(client, context, "POST", path, {"start": at(monday, 14, 30).isoformat()}, "start")
    assert late["errors"]["start"] == ["Ikke alle tilbuddets vejledere er ledige da. Vælg en af de ledige tider."]
    announce(context, setup["bo"]["id"], [(at(monday, 9), at(monday, 10))])  # Bo is busy from 10
    busy = assert_refused(client, context, "POST", path, {"start": at(monday, 10).isoformat()}, "start")
    assert busy["errors"]["start"] == late["errors"]["start"]
    past = assert_refused(client, context, "POST", path, {"start": "2020-01-06T10:00:00+01:00"}, "start")
    assert past["errors"]["start"] == ["Mødet skal ligge ude i fremtiden."]
    naive = assert_refused(client, context, "POST", path, {"start": "2030-01-06T10:00:00"}, "start")
    assert "tidszone" in naive["errors"]["start"][0]
    for seats, message in ((0, "Et møde skal have mindst 1 plads."), (10_001, "Højst 10000 pladser.")):
        at_nine = {"start": at(monday, 9).isoformat(), "seats": seats}
        assert assert_refused(client, context, "POST", path, at_nine, "seats")["errors"]["seats"] == [message]
    announce(context, setup["bo"]["id"], [(at(monday, 9), at(monday, 15))])  # free again
    api.post(path, {"start": at(monday, 9).isoformat()})
    taken = assert_refused(client, context, "POST", path, {"start": at(monday, 9, 30).isoformat()}, "start")
    assert "har allerede fællesmødet Informationsmøde om job" in taken["errors"]["start"][0]


def test_seats_move_and_cancel_are_logged_and_announced(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any], group: dict[str, Any]
) -> None:
    offer, monday = group["offer"], group["monday"]
    meeting = api.post(meetings_path(offer), {"start": at(monday, 10).isoformat()})
    path = f"/api/v1{meetings_path(offer)}/{meeting['id']}"
    changed = client.patch(path, json={"seats": 20, "extra_seats": 3})
    assert changed.status_code == 200 and (changed.get_json()["seats"], changed.get_json()["extra_seats"]) == (20, 3)
    moved = client.patch(path, json={"start": at(monday, 10, 30).isoformat()})  # over its own old place
    assert moved.status_code == 200, moved.get_json()
    back = client.patch(path, json={"seats": None})
    assert back.get_json()["seats"] == setup["room"]["capacity"] and back.get_json()["room_capacity"] is True
    cancelled = client.post(f"{path}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["cancelled_at"]
    assert [m.cancelled for m in last_meetings(context)] == [True]
    again = assert_refused(client, context, "PATCH", f"{meetings_path(offer)}/{meeting['id']}", {"seats": 5}, "", 409)
    assert again["detail"] == "Mødet er aflyst og kan ikke ændres."
    with context.db.transaction() as session:
        query = select(OfferRevision).where(OfferRevision.offer_id == uuid.UUID(offer["id"]))
        rows = session.scalars(query.order_by(OfferRevision.id))
        log = [(r.old_value, r.new_value) for r in rows if r.field == "meeting"]
    assert len(log) == 5  # added, seats, moved, back to the room's, cancelled
    assert log[0][0] is None and '"extra_seats": 3' in log[1][1] and '"cancelled": true' in log[4][1]


def test_the_name_and_the_meeting_form_stay_once_saved(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any], group: dict[str, Any]
) -> None:
    offer = group["offer"]
    renamed = assert_refused(client, context, "PATCH", f"/offers/{offer['id']}", {"name": "Nyt navn"}, "name")
    assert renamed["errors"]["name"] == ["Navnet på et fællesmøde kan ikke ændres, når tilbuddet er gemt."]
    switched = {"meeting_form": "individual"}
    assert_refused(client, context, "PATCH", f"/offers/{offer['id']}", switched, "meeting_form")
    individual = api.offer(setup["team"], [setup["anne"]])
    assert client.patch(f"/api/v1/offers/{individual['id']}", json={"name": "Nyt navn"}).status_code == 200  # O-5
    refused = assert_refused(
        client, context, "POST", f"/offers/{individual['id']}/meetings", {"start": at(group["monday"], 10).isoformat()},
        "", 409,
    )  # fmt: skip
    assert refused["detail"] == "Tilbuddet er en individuel samtale; kun fællesmøder har møder."


def test_a_group_offer_has_no_phone_channel_and_no_fixed_end(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    end = (today() + timedelta(days=30)).isoformat()
    body = api.offer_body(
        setup["team"], [setup["anne"]], meeting_form="group", channel="phone", place=None, end_date=end
    )
    problem = assert_refused(client, context, "POST", "/offers", body, "channel")
    assert problem["errors"]["channel"] == [
        "Et fællesmøde holdes digitalt eller ved personligt fremmøde, ikke over telefon."
    ]
    assert problem["errors"]["end_date"] == ["Et fællesmøde har ingen fast slutdato; dets møder er datoerne."]


def test_seats_below_those_booked_are_refused_with_the_number(
    api: Api, client: FlaskClient, context: ServiceContext, group: dict[str, Any]
) -> None:
    offer, monday = group["offer"], group["monday"]
    meeting = api.post(meetings_path(offer), {"start": at(monday, 10).isoformat(), "seats": 20})
    now = datetime.now(UTC)
    for taken, changed_at in ((12, now), (3, now - timedelta(seconds=5))):  # the older count arrives late
        seats = ev.GroupSeatsPayload(offer_id=offer["id"], meeting_id=meeting["id"], taken=taken, changed_at=changed_at)
        assert handle(context, seats.envelope(ev.GROUP_SEATS_CHANGED))
    path = f"{meetings_path(offer)}/{meeting['id']}"
    refused = assert_refused(client, context, "PATCH", path, {"seats": 10, "extra_seats": 1}, "seats")
    assert refused["errors"]["seats"] == [
        "12 borgere har allerede booket en plads. Mødet kan ikke have færre pladser end det "
        "(ekstrapladserne medregnet)."
    ]
    kept = client.patch(f"/api/v1{path}", json={"seats": 10, "extra_seats": 2})
    assert kept.status_code == 200 and (kept.get_json()["seats"], kept.get_json()["extra_seats"]) == (10, 2)


def test_meetings_in_the_room_follow_a_new_capacity_but_not_below_those_booked(
    api: Api, client: FlaskClient, context: ServiceContext, setup: dict[str, Any], group: dict[str, Any]
) -> None:
    offer, monday, room = group["offer"], group["monday"], setup["room"]
    follows = api.post(meetings_path(offer), {"start": at(monday, 10).isoformat(), "extra_seats": 2})
    fixed = api.post(meetings_path(offer), {"start": at(monday, 13).isoformat(), "seats": 30})
    assert client.patch(f"/api/v1/rooms/{room['id']}", json={"capacity": 25}).status_code == 200
    assert {m.meeting_id: m.seats for m in last_meetings(context)} == {follows["id"]: 25, fixed["id"]: 30}
    seats = ev.GroupSeatsPayload(offer_id=offer["id"], meeting_id=follows["id"], taken=12, changed_at=datetime.now(UTC))
    assert handle(context, seats.envelope(ev.GROUP_SEATS_CHANGED))
    refused = assert_refused(client, context, "PATCH", f"/rooms/{room['id']}", {"capacity": 9}, "capacity")
    [message] = refused["errors"]["capacity"]
    assert message.startswith("12 borgere har booket mødet") and "Informationsmøde om job" in message
    changed = client.patch(f"/api/v1/rooms/{room['id']}", json={"capacity": 10})  # 10 + 2 extra hold the 12
    assert changed.status_code == 200, changed.get_json()
    announced = {m.meeting_id: m.seats for m in last_meetings(context)}
    assert announced == {follows["id"]: 10, fixed["id"]: 30}
    with context.db.transaction() as session:
        lines = session.scalars(select(OfferRevision).where(OfferRevision.offer_id == uuid.UUID(offer["id"]))).all()
        assert any(line.field == "meeting" and "10" in str(line.new_value) for line in lines)
