"""Working time as staff set it (issue 3, point 2): the centre chooses whether it closes on
Grundlovsdag, 24 and 31 December, and each advisor can have date exceptions."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskClient

from shared import events as ev
from shared.service import ServiceContext
from shared.working_time import ClosingPolicy, closed_days
from tests.offers.conftest import Api, outbox, today


def next_date(month: int, day: int) -> date:
    candidate = date(today().year, month, day)
    return candidate if candidate >= today() else date(today().year + 1, month, day)


def closed_days_announced(context: ServiceContext) -> set[date]:
    last = [e for e in outbox(context) if e.type == ev.ADVISOR_CHANGED][-1]
    return set(ev.AdvisorCalendarPayload.model_validate(last.payload).closed_days)


def test_a_centre_open_on_5_june_and_31_december(api: Api, client: FlaskClient, context: ServiceContext) -> None:
    centre = api.centre(closed_optional_days=["christmas_eve"])
    assert centre["closed_optional_days"] == ["christmas_eve"]
    api.advisor(centre)
    closed = closed_days_announced(context)
    assert next_date(12, 24) in closed and next_date(12, 25) in closed  # chosen, and a public holiday
    assert next_date(12, 31) not in closed
    june_5 = next_date(6, 5)  # Grundlovsdag is open unless it is also a public holiday (2028: Whit Monday)
    holiday = closed_days(ClosingPolicy(closed_optional_days=frozenset()), june_5, june_5 + timedelta(days=1))
    assert (june_5 in closed) == bool(holiday)

    response = client.patch(f"/api/v1/job-centres/{centre['id']}", json={"closed_optional_days": []})
    assert response.status_code == 200 and response.get_json()["closed_optional_days"] == []
    assert next_date(12, 24) not in closed_days_announced(context)  # the advisor was announced again


def test_by_default_all_three_are_closed_and_unknown_days_are_refused(api: Api, client: FlaskClient) -> None:
    centre = api.centre()
    assert centre["closed_optional_days"] == ["christmas_eve", "constitution_day", "new_years_eve"]
    response = client.patch(f"/api/v1/job-centres/{centre['id']}", json={"closed_optional_days": ["midsommer"]})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


def test_advisor_date_exceptions_are_kept_and_announced(api: Api, client: FlaskClient, context: ServiceContext) -> None:
    centre = api.centre()
    advisor = api.advisor(centre, working_exceptions={"2026-12-23": [], "2026-12-22": [["09:00", "11:00"]]})
    assert advisor["working_exceptions"] == {"2026-12-22": [["09:00", "11:00"]], "2026-12-23": []}
    last = [e for e in outbox(context) if e.type == ev.ADVISOR_CHANGED][-1]
    assert ev.AdvisorCalendarPayload.model_validate(last.payload).working_exceptions == advisor["working_exceptions"]

    response = client.patch(f"/api/v1/advisors/{advisor['id']}", json={"working_exceptions": {"2026-12-24": "fri"}})
    assert response.status_code == 422 and "working_exceptions" in response.get_json()["errors"]
