"""Who may see and change what in the offers API (issue 9): every route needs an identity;
roles work per job centre; another centre's rows are answered exactly as unknown ids, and a
refused write changes nothing.

Centre X (10101) and Y (20202) each have a team, a room, an advisor, an offer and a calendar
conflict; Z (10102) is a sub-job-centre of X with a team. The callers are API keys: a
planner, a reader and an administrator of X, and IT (every role everywhere) who sets up.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.offers.consumer import handle
from services.offers.models import CprAccessLog
from shared.auth.api_keys import NewApiKey, create_api_key
from shared.auth.grants import parse_grants
from shared.cpr_vault import vault_for_settings
from shared.service import ServiceContext
from tests.identities import IT_KEY, anonymous, api_keys_setting, bearer
from tests.offers.conftest import WEEKDAYS, Api, build_app, empty_and_close, row_counts, today
from tests.offers.test_calendar_health import conflict, now

X, Y, Z = "10101", "20202", "10102"
PLANNER_X = create_api_key("planner X", parse_grants([f"planner:{X}"]))
READER_X = create_api_key("reader X", parse_grants([f"reader:{X}"]))
ADMIN_X = create_api_key("administrator X", parse_grants([f"administrator:{X}"]))
PLANNER_X_READER_Y = create_api_key("planner X, reader Y", parse_grants([f"planner:{X}", f"reader:{Y}"]))
W = "30303"
ADMIN_XW_READER_Y = create_api_key(
    "administrator X and W, reader Y", parse_grants([f"administrator:{X},{W}", f"reader:{Y}"])
)
CPR = "0101904000"  # fictitious
NOT_ALLOWED = "not_allowed"


def actor(key: NewApiKey) -> str:
    return f"machine:apikey:{key.stored.key_id}"


@pytest.fixture
def app(offers_database: str, secret_keys: str) -> Iterator[APIFlask]:
    keys = api_keys_setting(IT_KEY, PLANNER_X, READER_X, ADMIN_X, PLANNER_X_READER_Y, ADMIN_XW_READER_Y)
    app = build_app(offers_database, secret_keys, api_keys=keys)
    yield app
    empty_and_close(app)


@dataclass(frozen=True)
class Centre:
    centre: dict[str, Any]
    team: dict[str, Any]
    room: dict[str, Any]
    advisor: dict[str, Any]
    offer: dict[str, Any]
    booking_id: str

    def id(self, kind: str) -> str:
        return str(getattr(self, kind)["id"])


def furnish(api: Api, context: ServiceContext, code: str, name: str) -> Centre:
    centre = api.centre(code=code)
    team = api.team(centre)
    advisor = api.advisor(centre, team, name=name)
    offer = api.offer(team, [advisor], name=f"Jobsamtale {code}")
    booking_id = str(uuid.uuid4())
    assert handle(context, conflict(booking_id, advisor["id"], now() + timedelta(days=3), now()))
    return Centre(centre, team, api.room(centre), advisor, offer, booking_id)


@pytest.fixture
def x(api: Api, context: ServiceContext) -> Centre:
    return furnish(api, context, X, "Xenia fra X")


@pytest.fixture
def y(api: Api, context: ServiceContext, x: Centre) -> Centre:
    return furnish(api, context, Y, "Yrsa fra Y")


@pytest.fixture
def z(api: Api, x: Centre) -> dict[str, Any]:
    """A sub-job-centre of X with a team."""
    centre = api.centre(code=Z, parent_id=x.centre["id"])
    return {"centre": centre, "team": api.team(centre, name="Team Z")}


def call(client: FlaskClient, key: NewApiKey, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
    return client.open(f"/api/v1{path}", method=method, json=body, headers=bearer(key), **kwargs)


def ids(client: FlaskClient, key: NewApiKey, path: str, field: str = "id", **query: str) -> set[str]:
    response = call(client, key, "GET", path, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item[field] for item in response.get_json()["items"]}


def refused(
    client: FlaskClient, context: ServiceContext, key: NewApiKey, method: str, path: str, body: Any, status: int
) -> dict[str, Any]:
    """The request answers ``status`` with a problem document, and no table changed."""
    before = row_counts(context)
    response = call(client, key, method, path, body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert row_counts(context) == before
    return dict(response.get_json())


def as_unknown(
    client: FlaskClient,
    context: ServiceContext,
    key: NewApiKey,
    method: str,
    request: Callable[[str], tuple[str, Any]],
    hidden_id: str,
    status: int,
) -> dict[str, Any]:
    """``request(id)`` (path and body) with another centre's ``hidden_id`` is refused with
    ``status`` exactly as with an id that exists nowhere, and changes nothing."""
    unknown_id = str(uuid.uuid4())
    hidden = refused(client, context, key, method, *request(hidden_id), status=status)
    unknown = refused(client, context, key, method, *request(unknown_id), status=status)
    assert masked(hidden, hidden_id) == masked(unknown, unknown_id)
    return hidden


def masked(problem: dict[str, Any], ident: str) -> str:
    return re.sub(re.escape(ident), "<id>", str(problem))


# --- anonymous --------------------------------------------------------------------------------------------


def test_every_route_refuses_an_anonymous_caller_with_401_and_changes_nothing(
    app: APIFlask, client: FlaskClient, context: ServiceContext, x: Centre
) -> None:
    values = {
        "job_centre_id": x.id("centre"),
        "advisor_id": x.id("advisor"),
        "offer_id": x.id("offer"),
        "kind": "contact_groups",
        "day": "2030-01-02",
        "team_id": x.id("team"),
        "room_id": x.id("room"),
        "variant_id": x.id("room"),  # any id: the identity is asked for first
        "template_id": x.id("room"),
        "code": "7",
        "meeting_id": x.id("room"),
    }
    nobody = anonymous(client)
    walked = 0
    before = row_counts(context)
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("offers."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = nobody.open(path, method=method, json={})
            assert response.status_code == 401, (method, path)
            assert response.mimetype == "application/problem+json", (method, path)
            assert response.get_json()["code"] == "unauthenticated", (method, path)
            assert response.headers["WWW-Authenticate"].startswith("Bearer "), (method, path)
            walked += 1
    assert walked == 39
    assert row_counts(context) == before


def test_only_health_and_the_api_documents_answer_without_an_identity(client: FlaskClient) -> None:
    nobody = anonymous(client)
    assert nobody.get("/healthz").status_code == 200
    spec = nobody.get("/openapi.json")
    assert spec.status_code == 200
    for path, operations in spec.get_json()["paths"].items():
        if path.startswith("/api/v1/"):
            assert all(op["security"] for op in operations.values()), path


def test_an_unknown_api_key_is_401_even_for_a_real_centres_data(client: FlaskClient, x: Centre) -> None:
    stranger = create_api_key("not admitted", parse_grants(["administrator:*"]))
    response = call(client, stranger, "GET", f"/job-centres/{x.id('centre')}")
    assert response.status_code == 401 and response.get_json()["code"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


# --- lists -------------------------------------------------------------------------------------------------


def test_a_planner_of_x_lists_only_xs_centre_teams_rooms_advisors_offers_and_conflicts(
    client: FlaskClient, x: Centre, y: Centre, z: dict[str, Any]
) -> None:
    everything = ids(client, IT_KEY, "/job-centres")
    assert everything == {x.id("centre"), y.id("centre"), z["centre"]["id"]}  # Y and Z exist

    assert ids(client, PLANNER_X, "/job-centres") == {x.id("centre")}  # not even its sub-job-centre
    assert ids(client, PLANNER_X, "/teams") == {x.id("team")}
    assert ids(client, PLANNER_X, "/rooms") == {x.id("room")}
    assert ids(client, PLANNER_X, "/advisors") == {x.id("advisor")}
    assert ids(client, PLANNER_X, "/offers") == {x.id("offer")}
    assert ids(client, PLANNER_X, "/calendar-conflicts", field="booking_id") == {x.booking_id}
    assert ids(client, IT_KEY, "/calendar-conflicts", field="booking_id") == {x.booking_id, y.booking_id}


def test_filtering_a_list_by_another_centre_shows_nothing(client: FlaskClient, x: Centre, y: Centre) -> None:
    other = {"job_centre_id": y.id("centre")}
    assert ids(client, IT_KEY, "/teams", **other) == {y.id("team")}
    for path in ("/teams", "/rooms", "/advisors", "/offers"):
        assert ids(client, PLANNER_X, path, **other) == set(), path
    assert ids(client, PLANNER_X, "/advisors", team_id=y.id("team")) == set()
    assert ids(client, PLANNER_X, "/offers", team_id=y.id("team")) == set()
    assert ids(client, PLANNER_X, "/calendar-conflicts", field="booking_id", advisor_id=y.id("advisor")) == set()


# --- another centre's ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, path", [("centre", "/job-centres/{}"), ("advisor", "/advisors/{}"), ("offer", "/offers/{}")]
)
def test_reading_another_centres_row_by_id_is_404_as_for_an_unknown_id(
    client: FlaskClient, context: ServiceContext, x: Centre, y: Centre, kind: str, path: str
) -> None:
    assert call(client, IT_KEY, "GET", path.format(y.id(kind))).status_code == 200
    problem = as_unknown(client, context, PLANNER_X, "GET", lambda i: (path.format(i), None), y.id(kind), 404)
    assert problem["code"] == "not_found"
    assert call(client, PLANNER_X, "GET", path.format(x.id(kind))).status_code == 200


def test_a_sub_job_centre_is_not_covered_by_a_role_at_its_parent(
    client: FlaskClient, context: ServiceContext, x: Centre, z: dict[str, Any]
) -> None:
    zid = z["centre"]["id"]
    as_unknown(client, context, READER_X, "GET", lambda i: (f"/job-centres/{i}", None), zid, 404)
    body = {"day": (today() + timedelta(days=5)).isoformat()}
    as_unknown(client, context, ADMIN_X, "POST", lambda i: (f"/job-centres/{i}/closing-days", body), zid, 404)


def test_a_planner_of_x_cannot_change_ys_offer_advisor_or_sync_its_calendar(
    client: FlaskClient, context: ServiceContext, x: Centre, y: Centre
) -> None:
    as_unknown(client, context, PLANNER_X, "PATCH", lambda i: (f"/offers/{i}", {"active": False}), y.id("offer"), 404)
    as_unknown(client, context, PLANNER_X, "POST", lambda i: (f"/advisors/{i}/sync", None), y.id("advisor"), 404)
    explain = {"citizen": {"cpr": CPR}}
    as_unknown(client, context, PLANNER_X, "POST", lambda i: (f"/offers/{i}/explain", explain), y.id("offer"), 404)
    assert call(client, IT_KEY, "GET", f"/offers/{y.id('offer')}").get_json()["active"] is True


def test_an_administrator_of_x_cannot_change_ys_admin_data(
    client: FlaskClient, context: ServiceContext, x: Centre, y: Centre
) -> None:
    days = {"closed_optional_days": []}
    as_unknown(client, context, ADMIN_X, "PATCH", lambda i: (f"/job-centres/{i}", days), y.id("centre"), 404)
    closing = {"day": (today() + timedelta(days=5)).isoformat()}
    as_unknown(
        client, context, ADMIN_X, "POST", lambda i: (f"/job-centres/{i}/closing-days", closing), y.id("centre"), 404
    )
    renamed = {"name": "Omdøbt"}
    as_unknown(client, context, ADMIN_X, "PATCH", lambda i: (f"/advisors/{i}", renamed), y.id("advisor"), 404)
    as_unknown(client, context, ADMIN_X, "PATCH", lambda i: (f"/teams/{i}", renamed), y.id("team"), 404)
    as_unknown(client, context, ADMIN_X, "PATCH", lambda i: (f"/rooms/{i}", renamed), y.id("room"), 404)
    variant = {"conversation_type": 7, "name": "Opstart"}
    as_unknown(
        client,
        context,
        ADMIN_X,
        "POST",
        lambda i: (f"/job-centres/{i}/conversation-variants", variant),
        y.id("centre"),
        404,
    )
    assert call(client, IT_KEY, "GET", f"/advisors/{y.id('advisor')}").get_json()["name"] == "Yrsa fra Y"


def test_creating_at_another_centre_answers_as_if_it_did_not_exist(
    api: Api, client: FlaskClient, context: ServiceContext, x: Centre, y: Centre
) -> None:
    def team(i: str) -> tuple[str, Any]:
        return "/teams", {"job_centre_id": i, "name": "Team Y2"}

    def room(i: str) -> tuple[str, Any]:
        return "/rooms", {"job_centre_id": i, "name": "Lokale Y2", "address": "Vejen 2", "capacity": 4}

    def advisor(i: str) -> tuple[str, Any]:
        return "/advisors", {"job_centre_id": i, "name": "Ny", "working_hours": {}}

    def sub_centre(i: str) -> tuple[str, Any]:
        return "/job-centres", {"code": X, "name": "Under Y", "parent_id": i}

    for request, field in ((team, "job_centre_id"), (room, "job_centre_id"), (advisor, "job_centre_id")):
        problem = as_unknown(client, context, ADMIN_X, "POST", request, y.id("centre"), 422)
        assert problem["errors"][field] == ["Jobcentret findes ikke."]
    problem = as_unknown(client, context, ADMIN_X, "POST", sub_centre, y.id("centre"), 422)
    assert problem["errors"]["parent_id"] == ["Det overordnede jobcenter findes ikke."]


def test_an_advisor_of_x_cannot_join_a_team_of_y(
    api: Api, client: FlaskClient, context: ServiceContext, x: Centre, y: Centre
) -> None:
    def new_advisor(i: str) -> tuple[str, Any]:
        return "/advisors", {"job_centre_id": x.id("centre"), "name": "Ny", "working_hours": {}, "team_ids": [i]}

    def moved(i: str) -> tuple[str, Any]:
        return f"/advisors/{x.id('advisor')}", {"team_ids": [i]}

    problem = as_unknown(client, context, ADMIN_X, "POST", new_advisor, y.id("team"), 422)
    assert problem["errors"]["team_ids"] == [f"Teamet {y.id('team')} findes ikke."]
    as_unknown(client, context, ADMIN_X, "PATCH", moved, y.id("team"), 422)
    # IT sees both centres and is told why instead:
    told = call(client, IT_KEY, "PATCH", *moved(y.id("team")))
    assert told.status_code == 422 and "hører til et andet jobcenter" in told.get_json()["errors"]["team_ids"][0]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("advisor_ids", lambda y: [y.id("advisor")], "Vejlederen {} findes ikke."),
        ("team_id", lambda y: y.id("team"), "Teamet findes ikke."),
        ("room_id", lambda y: y.id("room"), "Mødelokalet findes ikke."),
        ("job_centre_id", lambda y: y.id("centre"), "Jobcentret findes ikke."),
    ],
)
def test_an_offer_of_x_naming_ys_rows_answers_as_if_they_did_not_exist(
    api: Api,
    client: FlaskClient,
    context: ServiceContext,
    x: Centre,
    y: Centre,
    field: str,
    value: Callable[[Centre], Any],
    message: str,
) -> None:
    hidden = value(y)
    hidden_id = hidden[0] if isinstance(hidden, list) else hidden

    def offer(i: str) -> tuple[str, Any]:
        return "/offers", api.offer_body(x.team, [x.advisor], **{field: [i] if isinstance(hidden, list) else i})

    problem = as_unknown(client, context, PLANNER_X, "POST", offer, hidden_id, 422)
    assert message.format(hidden_id) in problem["errors"][field]
    assert "Yrsa" not in str(problem)

    def edit(i: str) -> tuple[str, Any]:
        return f"/offers/{x.id('offer')}", {field: [i] if isinstance(hidden, list) else i}

    if field != "job_centre_id":  # an offer's centre cannot be changed
        as_unknown(client, context, PLANNER_X, "PATCH", edit, hidden_id, 422)


def test_group_meeting_times_do_not_reveal_another_centres_advisors(
    client: FlaskClient, context: ServiceContext, x: Centre, y: Centre
) -> None:
    day = (today() + timedelta(days=7)).isoformat()

    def times(i: str) -> tuple[str, Any]:
        query = f"advisor_id={x.id('advisor')}&advisor_id={i}&first_date={day}&last_date={day}&duration_minutes=60"
        return f"/group-meeting-times?{query}", None

    problem = as_unknown(client, context, PLANNER_X, "GET", times, y.id("advisor"), 404)
    assert problem["advisor_ids"] == [y.id("advisor")]
    assert call(client, IT_KEY, "GET", times(y.id("advisor"))[0]).status_code == 200


# --- roles at the caller's own centre ----------------------------------------------------------------------


def test_a_reader_of_x_reads_everything_of_x(client: FlaskClient, context: ServiceContext, x: Centre) -> None:
    for path in (
        f"/job-centres/{x.id('centre')}",
        f"/advisors/{x.id('advisor')}",
        f"/offers/{x.id('offer')}",
        "/reference-lists",
        "/reference-lists/contact_groups",
        "/conversation-types",
    ):
        assert call(client, READER_X, "GET", path).status_code == 200, path
    assert ids(client, READER_X, "/offers") == {x.id("offer")}
    assert ids(client, READER_X, "/calendar-conflicts", field="booking_id") == {x.booking_id}
    day = (today() + timedelta(days=7)).isoformat()
    query = {"advisor_id": x.id("advisor"), "first_date": day, "last_date": day, "duration_minutes": 60}
    assert call(client, READER_X, "GET", "/group-meeting-times", query_string=query).status_code == 200
    explained = call(client, READER_X, "POST", f"/offers/{x.id('offer')}/explain", {"citizen": {"cpr": CPR}})
    assert explained.status_code == 200


def writes_at(x: Centre, api: Api) -> list[tuple[str, str, Any, int]]:
    """One write of every kind at centre X, with what an administrator of X gets for it."""
    day = (today() + timedelta(days=5)).isoformat()
    centre = x.centre["id"]
    room = {"job_centre_id": centre, "name": "Lokale", "address": "Vej 1", "capacity": 2}
    return [
        ("POST", "/job-centres", {"code": X, "name": "Igen"}, 409),  # allowed, but X exists
        ("PATCH", f"/job-centres/{centre}", {"closed_optional_days": []}, 200),
        ("POST", f"/job-centres/{centre}/closing-days", {"day": day}, 201),
        ("POST", "/teams", {"job_centre_id": centre, "name": "Team Ny"}, 201),
        ("POST", "/rooms", room, 201),
        ("POST", "/advisors", {"job_centre_id": centre, "name": "Ny", "working_hours": WEEKDAYS}, 201),
        ("PATCH", f"/advisors/{x.id('advisor')}", {"name": "Omdøbt"}, 200),
        ("POST", f"/advisors/{x.id('advisor')}/sync", None, 403),
        ("POST", "/offers", api.offer_body(x.team, [x.advisor]), 403),
        ("PATCH", f"/offers/{x.id('offer')}", {"active": False}, 403),
        ("PUT", "/reference-lists/other_actors", {"values": ["Ny aktør"]}, 403),
        ("PUT", "/conversation-types/7", {"name": "Jobsamtale (ny)"}, 403),
    ]


def test_a_reader_of_x_may_not_write_anything_at_x(
    api: Api, client: FlaskClient, context: ServiceContext, x: Centre
) -> None:
    for method, path, body, _ in writes_at(x, api):
        problem = refused(client, context, READER_X, method, path, body, status=403)
        assert problem["code"] == NOT_ALLOWED, (method, path)


def test_an_administrator_of_x_writes_admin_data_at_x_but_not_offers_calendars_or_the_lists(
    api: Api, client: FlaskClient, context: ServiceContext, x: Centre
) -> None:
    for method, path, body, status in writes_at(x, api):
        if status == 403:
            problem = refused(client, context, ADMIN_X, method, path, body, status=403)
            assert problem["code"] == NOT_ALLOWED, (method, path)
        else:
            response = call(client, ADMIN_X, method, path, body)
            assert response.status_code == status, (method, path, response.get_data(as_text=True))
    assert call(client, IT_KEY, "GET", f"/advisors/{x.id('advisor')}").get_json()["name"] == "Omdøbt"


def test_a_planner_of_x_writes_offers_and_syncs_calendars_at_x_but_not_admin_data(
    api: Api, client: FlaskClient, context: ServiceContext, x: Centre
) -> None:
    created = call(client, PLANNER_X, "POST", "/offers", api.offer_body(x.team, [x.advisor], name="Ny samtale"))
    assert created.status_code == 201 and created.get_json()["updated_by"] == actor(PLANNER_X)
    changed = call(client, PLANNER_X, "PATCH", f"/offers/{x.id('offer')}", {"active": False})
    assert changed.status_code == 200 and changed.get_json()["updated_by"] == actor(PLANNER_X)
    assert call(client, PLANNER_X, "POST", f"/advisors/{x.id('advisor')}/sync").status_code == 202
    team = {"job_centre_id": x.id("centre"), "name": "Team Ny"}
    assert refused(client, context, PLANNER_X, "POST", "/teams", team, status=403)["code"] == NOT_ALLOWED


def test_a_planner_of_x_who_reads_y_sees_y_but_gets_403_for_writing_there(
    api: Api, client: FlaskClient, context: ServiceContext, x: Centre, y: Centre
) -> None:
    key = PLANNER_X_READER_Y
    assert ids(client, key, "/offers") == {x.id("offer"), y.id("offer")}
    assert call(client, key, "GET", f"/offers/{y.id('offer')}").status_code == 200
    writes = [
        ("PATCH", f"/offers/{y.id('offer')}", {"active": False}),
        ("POST", "/offers", api.offer_body(y.team, [y.advisor])),
        ("POST", "/offers", api.offer_body(y.team, [y.advisor], job_centre_id=None)),  # the team's centre
        ("POST", "/offers", api.offer_body(y.team, [y.advisor], start_minutes=[7])),  # refused before checked
        ("POST", f"/advisors/{y.id('advisor')}/sync", None),
    ]
    for method, path, body in writes:
        assert refused(client, context, key, method, path, body, status=403)["code"] == NOT_ALLOWED, (method, path)
    # Y's rows are visible to this caller, so an offer of X naming them is told why it is refused:
    mixed = call(client, key, "POST", "/offers", api.offer_body(x.team, [y.advisor]))
    assert mixed.status_code == 422
    assert mixed.get_json()["errors"]["advisor_ids"] == ["Vejlederen Yrsa fra Y hører til et andet jobcenter."]


def test_an_administrator_of_x_who_reads_y_gets_403_for_admin_data_of_y(
    client: FlaskClient, context: ServiceContext, x: Centre, y: Centre
) -> None:
    key, centre = ADMIN_XW_READER_Y, y.id("centre")
    writes = [
        ("PATCH", f"/job-centres/{centre}", {"closed_optional_days": []}),
        ("POST", "/teams", {"job_centre_id": centre, "name": "Team Ny"}),
        ("POST", "/rooms", {"job_centre_id": centre, "name": "Lokale", "address": "Vej 1", "capacity": 2}),
        ("POST", "/advisors", {"job_centre_id": centre, "name": "Ny", "working_hours": WEEKDAYS}),
        ("POST", "/job-centres", {"code": W, "name": "Under Y", "parent_id": centre}),  # changes Y's reach
    ]
    for method, path, body in writes:
        assert refused(client, context, key, method, path, body, status=403)["code"] == NOT_ALLOWED, (method, path)
    under_x = call(client, key, "POST", "/job-centres", {"code": W, "name": "Under X", "parent_id": x.id("centre")})
    assert under_x.status_code == 201 and under_x.get_json()["parent_id"] == x.id("centre")


def test_creating_a_job_centre_needs_the_administrator_role_at_its_code(
    client: FlaskClient, context: ServiceContext
) -> None:
    problem = refused(client, context, ADMIN_X, "POST", "/job-centres", {"code": Y, "name": "Y"}, status=403)
    assert problem["code"] == NOT_ALLOWED
    created = call(client, ADMIN_X, "POST", "/job-centres", {"code": X, "name": "Jobcenter X"})
    assert created.status_code == 201
    assert ids(client, ADMIN_X, "/job-centres") == {created.get_json()["id"]}


def test_the_reference_lists_are_replaced_only_by_an_administrator_of_every_centre(
    client: FlaskClient, context: ServiceContext
) -> None:
    body = {"values": ["Ny aktør"]}
    problem = refused(client, context, ADMIN_X, "PUT", "/reference-lists/other_actors", body, status=403)
    assert problem["code"] == NOT_ALLOWED
    assert call(client, ADMIN_X, "GET", "/reference-lists/other_actors").get_json()["values"] == []
    assert call(client, IT_KEY, "PUT", "/reference-lists/other_actors", body).status_code == 200
    assert call(client, PLANNER_X, "GET", "/reference-lists/other_actors").get_json()["values"] == ["Ny aktør"]


def test_the_conversation_types_are_changed_only_by_an_administrator_of_every_centre(
    client: FlaskClient, context: ServiceContext
) -> None:
    body = {"name": "Jobsamtale i jobcentret"}
    problem = refused(client, context, ADMIN_X, "PUT", "/conversation-types/7", body, status=403)
    assert problem["code"] == NOT_ALLOWED
    assert call(client, IT_KEY, "PUT", "/conversation-types/7", body).status_code == 200
    listed = call(client, READER_X, "GET", "/conversation-types").get_json()["items"]
    assert {t["code"]: t["name"] for t in listed}[7] == "Jobsamtale i jobcentret"


# --- the CPR access log ------------------------------------------------------------------------------------


def test_an_explanation_is_logged_with_the_caller_and_the_route(
    client: FlaskClient, context: ServiceContext, x: Centre, y: Centre
) -> None:
    response = call(client, PLANNER_X, "POST", f"/offers/{x.id('offer')}/explain", {"citizen": {"cpr": CPR}})
    assert response.status_code == 200
    refused(client, context, PLANNER_X, "POST", f"/offers/{y.id('offer')}/explain", {"citizen": {"cpr": CPR}}, 404)
    with context.db.transaction() as session:
        vault = vault_for_settings(context.settings)
        log = session.scalars(select(CprAccessLog))
        rows = [(r.actor, r.purpose, vault.unseal(r.subject_cpr_sealed).digits, r.route) for r in log]
    assert rows == [(actor(PLANNER_X), "explain", CPR, "/api/v1/offers/<uuid:offer_id>/explain")]


# --- the contract ------------------------------------------------------------------------------------------

ACTIONS = {
    ("post", "/job-centres"): "write admin data",
    ("get", "/job-centres"): "read admin data",
    ("get", "/job-centres/{job_centre_id}"): "read admin data",
    ("patch", "/job-centres/{job_centre_id}"): "write admin data",
    ("post", "/job-centres/{job_centre_id}/closing-days"): "write admin data",
    ("get", "/job-centres/{job_centre_id}/conversation-variants"): "read admin data",
    ("post", "/job-centres/{job_centre_id}/conversation-variants"): "write admin data",
    ("delete", "/job-centres/{job_centre_id}/conversation-variants/{variant_id}"): "write admin data",
    ("post", "/teams"): "write admin data",
    ("get", "/teams"): "read admin data",
    ("patch", "/teams/{team_id}"): "write admin data",
    ("post", "/rooms"): "write admin data",
    ("get", "/rooms"): "read admin data",
    ("patch", "/rooms/{room_id}"): "write admin data",
    ("post", "/advisors"): "write admin data",
    ("get", "/advisors"): "read admin data",
    ("get", "/advisors/{advisor_id}"): "read admin data",
    ("patch", "/advisors/{advisor_id}"): "write admin data",
    ("post", "/advisors/{advisor_id}/sync"): "write calendars",
    ("get", "/calendar-conflicts"): "read calendars",
    ("get", "/group-meeting-times"): "read calendars",
    ("post", "/offers"): "write offers",
    ("get", "/offers"): "read offers",
    ("get", "/offers/{offer_id}"): "read offers",
    ("patch", "/offers/{offer_id}"): "write offers",
    ("post", "/offers/{offer_id}/explain"): "read participants",
    ("get", "/offer-templates"): "read offers",
    ("post", "/offer-templates"): "write offers",
    ("delete", "/offer-templates/{template_id}"): "write offers",
    ("get", "/reference-lists"): "read admin data",
    ("get", "/reference-lists/{kind}"): "read admin data",
    ("put", "/reference-lists/{kind}"): "write admin data",
    ("get", "/conversation-types"): "read admin data",
    ("get", "/offers/{offer_id}/meetings"): "read offers",
    ("post", "/offers/{offer_id}/meetings"): "write offers",
    ("patch", "/offers/{offer_id}/meetings/{meeting_id}"): "write offers",
    ("post", "/offers/{offer_id}/meetings/{meeting_id}/cancel"): "write offers",
    ("put", "/conversation-types/{code}"): "write admin data",
    ("post", "/access-log/search"): "read CPR access log",
    ("delete", "/job-centres/{job_centre_id}/closing-days/{day}"): "write admin data",
}
"""The action every operation is marked with (``x-planner-actions``)."""


def test_the_openapi_document_names_the_action_of_every_operation(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    marked = {
        (method, path.removeprefix("/api/v1")): op["x-planner-actions"]
        for path, operations in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in operations.items()
    }
    assert marked == {operation: [action] for operation, action in ACTIONS.items()}
    offer = spec["paths"]["/api/v1/offers"]["post"]
    assert {"401", "403"} <= set(offer["responses"])
    assert "X-Planner-Staff" not in json.dumps(spec)  # who acts comes from the identity, not a header
