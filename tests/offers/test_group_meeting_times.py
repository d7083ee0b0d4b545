"""Staff adding a group meeting see the times at which all its advisors are free (O-12),
from the free time the calendar-sync worker announces (``advisor.free_time_changed``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from services.offers.consumer import handle
from shared import events as ev
from shared.service import ServiceContext
from tests.offers.test_calendar_health import health

CPH = ZoneInfo("Europe/Copenhagen")


def next_monday() -> date:
    today = datetime.now(CPH).date()
    return today + timedelta(days=7 - today.weekday())


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=CPH)


def announce(context: ServiceContext, advisor_id: str, free: list[tuple[datetime, datetime]], **fields: Any) -> None:
    now = datetime.now(UTC)
    payload = ev.AdvisorFreeTimePayload(
        advisor_id=advisor_id,
        computed_at=fields.pop("computed_at", now),
        window_start=now,
        window_end=now + timedelta(days=40),
        free=[ev.TimeSpan(start=start, end=end) for start, end in free],
        **fields,
    )
    assert handle(context, payload.envelope(ev.ADVISOR_FREE_TIME_CHANGED))


def times(client: FlaskClient, advisors: list[dict[str, Any]], day: date, **params: Any) -> dict[str, Any]:
    query: dict[str, Any] = {
        "advisor_id": [a["id"] for a in advisors],
        "first_date": day.isoformat(),
        "last_date": day.isoformat(),
        "duration_minutes": 60,
        **params,
    }
    response = client.get("/api/v1/group-meeting-times", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def local_starts(answer: dict[str, Any]) -> list[str]:
    return [datetime.fromisoformat(t["start"]).astimezone(CPH).strftime("%H:%M") for t in answer["times"]]


def test_only_times_when_every_advisor_is_free_for_meeting_and_reporting(
    client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    monday = next_monday()
    announce(context, setup["anne"]["id"], [(at(monday, 8), at(monday, 12)), (at(monday, 13), at(monday, 15))])
    announce(context, setup["bo"]["id"], [(at(monday, 10), at(monday, 14))])

    answer = times(client, [setup["anne"], setup["bo"]], monday, reporting_minutes=15, start_minutes=[0, 30])

    # both free 10-12 and 13-14; 60 minutes + 15 reporting fit at 10:00 and 10:30 only
    assert local_starts(answer) == ["10:00", "10:30"]
    first = answer["times"][0]
    assert datetime.fromisoformat(first["end"]) - datetime.fromisoformat(first["start"]) == timedelta(minutes=60)
    assert answer["withheld_advisor_ids"] == []
    assert local_starts(times(client, [setup["anne"]], monday, start_minutes=[0]))[:4] == [
        "08:00", "09:00", "10:00", "11:00",
    ]  # fmt: skip


def test_no_time_is_guessed_while_one_advisors_calendar_is_stale_or_unknown(
    client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    monday = next_monday()
    announce(context, setup["anne"]["id"], [(at(monday, 8), at(monday, 16))])

    answer = times(client, [setup["anne"], setup["bo"]], monday)  # nothing known of Bo
    assert answer["times"] == [] and answer["withheld_advisor_ids"] == [setup["bo"]["id"]]

    announce(context, setup["bo"]["id"], [(at(monday, 8), at(monday, 16))])
    assert local_starts(times(client, [setup["anne"], setup["bo"]], monday))[:2] == ["08:00", "08:15"]

    stale_since = datetime.now(UTC) - timedelta(days=2)
    assert handle(context, health(setup["bo"]["id"], datetime.now(UTC), last_success_at=stale_since, stale=True))
    answer = times(client, [setup["anne"], setup["bo"]], monday)
    assert answer["times"] == [] and answer["withheld_advisor_ids"] == [setup["bo"]["id"]]


def test_an_older_announcement_does_not_replace_a_newer_one(
    client: FlaskClient, context: ServiceContext, setup: dict[str, Any]
) -> None:
    monday = next_monday()
    announce(context, setup["anne"]["id"], [(at(monday, 9), at(monday, 10))])
    announce(
        context,
        setup["anne"]["id"],
        [(at(monday, 13), at(monday, 14))],
        computed_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    assert local_starts(times(client, [setup["anne"]], monday)) == ["09:00"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"duration_minutes": 0}, "duration_minutes", "Varigheden skal være mellem 5 og 480 minutter."),
        ({"last_date": "2020-01-01"}, "last_date", "Slutdatoen må ikke ligge før startdatoen."),
        (
            {"start_minutes": [10]},
            "start_minutes",
            "Starttidspunkterne skal vælges blandt 00, 15, 20, 30, 40, 45 minutter over hel time.",
        ),
        ({"first_date": "i morgen"}, "first_date", "Skal være en dato (ÅÅÅÅ-MM-DD)."),
    ],
)
def test_a_wrong_query_gets_a_danish_problem(
    client: FlaskClient, setup: dict[str, Any], params: dict[str, Any], field: str, message: str
) -> None:
    monday = next_monday()
    query = {"advisor_id": setup["anne"]["id"], "first_date": monday.isoformat(), "last_date": monday.isoformat()}
    response = client.get("/api/v1/group-meeting-times", query_string={"duration_minutes": 60, **query, **params})

    assert response.status_code == 422
    assert response.content_type.startswith("application/problem+json")
    assert response.get_json()["errors"] == {field: [message]}


def test_an_unknown_advisor_is_a_404_problem(client: FlaskClient, setup: dict[str, Any]) -> None:
    monday = next_monday()
    response = client.get(
        "/api/v1/group-meeting-times",
        query_string={
            "advisor_id": "00000000-0000-4000-8000-000000000000",
            "first_date": monday.isoformat(),
            "last_date": monday.isoformat(),
            "duration_minutes": 60,
        },
    )
    assert response.status_code == 404
    assert response.get_json()["detail"] == "Vejlederen findes ikke."


def test_the_route_is_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/group-meeting-times"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"advisor_id", "first_date", "last_date"}
