"""Staff see each advisor's calendar health and the conflicts between advisors' own
calendars and booked meetings, as the calendar-sync worker reports them in events
(``shared.events`` contracts fed into ``services.offers.consumer.handle``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.offers.consumer import handle
from services.offers.models import ProcessedEvent
from shared import events as ev
from shared.events import Envelope
from shared.service import ServiceContext


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def health(advisor_id: str, changed_at: datetime, **fields: Any) -> Envelope:
    values: dict[str, Any] = {
        "last_attempt_at": changed_at,
        "last_success_at": changed_at,
        "last_error": None,
        "stale": False,
    }
    payload = ev.CalendarHealthPayload(advisor_id=advisor_id, changed_at=changed_at, **{**values, **fields})
    return payload.envelope(ev.CALENDAR_HEALTH_CHANGED)


def conflict(
    booking_id: str, advisor_id: str, start: datetime, detected_at: datetime, *, resolved: bool = False
) -> Envelope:
    payload = ev.BookingConflictPayload(
        booking_id=booking_id,
        advisor_id=advisor_id,
        start=start,
        end=start + timedelta(minutes=45),
        resolved=resolved,
        detected_at=detected_at,
    )
    return payload.envelope(ev.BOOKING_CONFLICT_DETECTED)


def calendar_health(client: FlaskClient, advisor_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/advisors/{advisor_id}")
    assert response.status_code == 200
    return dict(response.get_json()["calendar_health"])


def conflicts(client: FlaskClient, **query: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/calendar-conflicts", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.get_json()["items"])


def test_health_is_unknown_until_reported_then_shown_on_the_advisor_and_in_the_list(
    context: ServiceContext, client: FlaskClient, setup: dict[str, Any]
) -> None:
    anne = setup["anne"]
    assert setup["anne"]["calendar_health"] == {
        "last_attempt_at": None,
        "last_success_at": None,
        "last_error": None,
        "stale": False,
        "status": "unknown",
    }
    read_at = now() - timedelta(minutes=5)
    assert handle(context, health(anne["id"], read_at)) is True

    shown = calendar_health(client, anne["id"])
    assert shown == {
        "last_attempt_at": read_at.isoformat(),
        "last_success_at": read_at.isoformat(),
        "last_error": None,
        "stale": False,
        "status": "ok",
    }
    listed = {a["id"]: a["calendar_health"] for a in client.get("/api/v1/advisors").get_json()["items"]}
    assert listed[anne["id"]] == shown
    assert listed[setup["bo"]["id"]]["status"] == "unknown"


def test_a_failed_read_shows_the_error_and_a_newer_report_replaces_it(
    context: ServiceContext, client: FlaskClient, setup: dict[str, Any]
) -> None:
    anne = setup["anne"]["id"]
    success = now() - timedelta(minutes=10)
    failed = now() - timedelta(minutes=5)
    handle(context, health(anne, success))
    handle(context, health(anne, failed, last_success_at=success, last_error="Kalenderserveren svarede 503."))

    shown = calendar_health(client, anne)
    assert shown["status"] == "error" and shown["last_error"] == "Kalenderserveren svarede 503."
    assert shown["last_attempt_at"] == failed.isoformat() and shown["last_success_at"] == success.isoformat()

    withdrawn = now() - timedelta(minutes=1)
    handle(context, health(anne, withdrawn, last_success_at=success, last_error="Tidsudløb.", stale=True))
    assert calendar_health(client, anne)["status"] == "stale"
    assert calendar_health(client, anne)["stale"] is True

    handle(context, health(anne, now()))
    assert calendar_health(client, anne)["status"] == "ok"
    assert calendar_health(client, anne)["last_error"] is None


def test_an_older_report_changes_nothing(context: ServiceContext, client: FlaskClient, setup: dict[str, Any]) -> None:
    anne = setup["anne"]["id"]
    newer = now() - timedelta(minutes=1)
    assert handle(context, health(anne, newer)) is True
    older = health(anne, newer - timedelta(minutes=10), last_error="Gammel fejl.", stale=True)
    assert handle(context, older) is True  # processed, but changes nothing

    shown = calendar_health(client, anne)
    assert shown["status"] == "ok" and shown["last_error"] is None
    assert shown["last_success_at"] == newer.isoformat()


def test_data_older_than_the_bound_shows_as_stale_even_without_a_new_report(
    context: ServiceContext, client: FlaskClient, setup: dict[str, Any]
) -> None:
    anne = setup["anne"]["id"]
    bound = context.settings.calendar_stale_after_seconds
    last_read = now() - timedelta(seconds=bound + 60)
    handle(context, health(anne, last_read))  # the worker said "fresh" then, and went quiet

    shown = calendar_health(client, anne)
    assert shown["status"] == "stale" and shown["stale"] is True


def test_a_redelivered_report_is_applied_once(
    context: ServiceContext, client: FlaskClient, setup: dict[str, Any]
) -> None:
    envelope = health(setup["anne"]["id"], now())
    assert handle(context, envelope) is True
    assert handle(context, envelope) is False
    with context.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
    assert calendar_health(client, setup["anne"]["id"])["status"] == "ok"


def test_reports_of_unknown_advisors_or_broken_payloads_are_skipped(
    context: ServiceContext, client: FlaskClient, setup: dict[str, Any]
) -> None:
    assert handle(context, health(str(uuid.uuid4()), now())) is True  # no such advisor: nothing to show
    broken = Envelope(type=ev.CALENDAR_HEALTH_CHANGED, payload={"advisor_id": setup["anne"]["id"]})
    assert handle(context, broken) is False
    future = Envelope(type=ev.CALENDAR_HEALTH_CHANGED, payload=health(setup["anne"]["id"], now()).payload, version=2)
    assert handle(context, future) is False
    assert calendar_health(client, setup["anne"]["id"])["status"] == "unknown"


def test_a_conflict_appears_and_is_resolved(
    context: ServiceContext, client: FlaskClient, setup: dict[str, Any]
) -> None:
    anne = setup["anne"]["id"]
    booking = str(uuid.uuid4())
    meeting = now().replace(minute=0, second=0) + timedelta(days=2)
    detected = now() - timedelta(minutes=3)
    assert conflicts(client) == []

    assert handle(context, conflict(booking, anne, meeting, detected)) is True
    [shown] = conflicts(client)
    assert shown == {
        "booking_id": booking,
        "advisor_id": anne,
        "start": meeting.isoformat(),
        "end": (meeting + timedelta(minutes=45)).isoformat(),
        "detected_at": detected.isoformat(),
        "resolved_at": None,
        "status": "open",
    }
    assert shown["start"].endswith("+00:00")

    resolved = now() - timedelta(minutes=1)
    assert handle(context, conflict(booking, anne, meeting, resolved, resolved=True)) is True
    assert conflicts(client) == []
    [kept] = conflicts(client, include_resolved="true")
    assert kept["status"] == "resolved" and kept["resolved_at"] == resolved.isoformat()
    assert kept["detected_at"] == detected.isoformat()

    # a late copy of the first detection does not reopen it; a new detection does
    assert handle(context, conflict(booking, anne, meeting, detected)) is True
    assert conflicts(client) == []
    again = now()
    assert handle(context, conflict(booking, anne, meeting, again)) is True
    [reopened] = conflicts(client)
    assert reopened["detected_at"] == again.isoformat() and reopened["resolved_at"] is None


def test_conflicts_are_listed_per_advisor_earliest_meeting_first(
    context: ServiceContext, client: FlaskClient, setup: dict[str, Any]
) -> None:
    anne, bo = setup["anne"]["id"], setup["bo"]["id"]
    day = now().replace(minute=0, second=0) + timedelta(days=3)
    late, early, of_bo, done = (str(uuid.uuid4()) for _ in range(4))
    for booking, advisor, start in ((late, anne, day + timedelta(hours=2)), (early, anne, day), (of_bo, bo, day)):
        handle(context, conflict(booking, advisor, start, now()))
    handle(context, conflict(done, anne, day + timedelta(hours=1), now(), resolved=True))

    assert [c["booking_id"] for c in conflicts(client)] == [*sorted([early, of_bo]), late]
    assert [c["booking_id"] for c in conflicts(client, advisor_id=anne)] == [early, late]
    assert [c["booking_id"] for c in conflicts(client, advisor_id=anne, include_resolved="true")] == [
        early,
        done,
        late,
    ]
    assert [c["booking_id"] for c in conflicts(client, advisor_id=bo)] == [of_bo]
    refused = client.get("/api/v1/calendar-conflicts", query_string={"advisor_id": "nej"})
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"


def test_openapi_documents_calendar_health_and_conflicts(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/calendar-conflicts"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"advisor_id", "include_resolved"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CalendarConflictList"
    )
    schemas = spec["components"]["schemas"]
    conflict_fields = schemas["CalendarConflictOut"]["properties"]
    assert set(conflict_fields) == {
        "booking_id", "advisor_id", "start", "end", "detected_at", "resolved_at", "status",
    }  # fmt: skip
    assert conflict_fields["start"]["format"] == "date-time"
    assert all(f.get("description") for f in conflict_fields.values())
    assert conflict_fields["resolved_at"]["description"].startswith("Hvornår")
    health_fields = schemas["CalendarHealthOut"]["properties"]
    assert health_fields["status"]["enum"] == ["ok", "stale", "error", "unknown"]
    assert all(f.get("description") for f in health_fields.values())
    assert "calendar_health" in schemas["AdvisorOut"]["properties"]
