"""Health, readiness and metrics of the booking service, as IT's probes and Prometheus see
them: /healthz answers while the process lives, /readyz says whether the database and the
broker answer (and which does not), /metrics is for a monitor key only and counts requests by
route and bookings by outcome, with the outbox's lag, and never holds a CPR number."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from services.booking.app import create_app
from shared.auth.api_keys import create_api_key
from shared.auth.grants import parse_grants
from tests.booking.conftest import BookingService, build_service, fictitious_cpr
from tests.booking.test_group_seats import publish_group, seat
from tests.conftest import make_settings
from tests.identities import IT_KEY, anonymous, api_keys_setting, bearer

MONITOR = create_api_key("prometheus", parse_grants(["monitor:*"]))
MONITOR_AT_ONE = create_api_key("prometheus at one centre", parse_grants(["monitor:10101"]))


@pytest.fixture
def monitored(booking_pg_url: str) -> Iterator[BookingService]:
    built = build_service(booking_pg_url, api_keys=api_keys_setting(IT_KEY, MONITOR, MONITOR_AT_ONE))
    yield built
    built.context.close()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the sample ``name{labels}`` in Prometheus' text format (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.partition("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_liveness_and_readiness(monitored: BookingService, tmp_path: Path) -> None:
    client = anonymous(monitored.client())
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok", "checked": ["broker", "database"]}

    nothing = "127.0.0.1:1"  # nobody listens there
    dead = create_app(make_settings(booking_database_url=f"postgresql+psycopg://postgres@{nothing}/{tmp_path.name}",
                                    broker_url=f"amqp://guest:guest@{nothing}//"))  # fmt: skip
    try:
        lives = FlaskClient(dead).get("/healthz")
        assert lives.status_code == 200  # alive: restarting it would not bring the database back
        answer = FlaskClient(dead).get("/readyz")
        assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
        body = answer.get_json()
        assert set(body["failed"]) == {"database", "broker"}
        assert body["detail"] == "Tjenesten er ikke klar: RabbitMQ og databasen svarer ikke."
    finally:
        dead.extensions["planner"].close()


def test_metrics_are_for_a_monitor_at_every_centre_only(monitored: BookingService) -> None:
    client = anonymous(monitored.client())
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer(IT_KEY)).status_code == 403  # IT's set-up key: not a monitor
    assert client.get("/metrics", headers=bearer(MONITOR_AT_ONE)).status_code == 403
    answer = client.get("/metrics", headers=bearer(MONITOR))
    assert answer.status_code == 200 and answer.mimetype == "text/plain"


def test_metrics_count_requests_by_route_and_bookings_by_outcome(monitored: BookingService) -> None:
    client = anonymous(monitored.client())
    before = client.get("/metrics", headers=bearer(MONITOR)).get_data(as_text=True)
    offer = publish_group(monitored, (0, 1, 0))
    [meeting] = offer.meetings
    assert seat(monitored, offer, meeting, 0).status_code == 201
    assert seat(monitored, offer, meeting, 1).status_code == 409
    text = client.get("/metrics", headers=bearer(MONITOR)).get_data(as_text=True)

    route = "/api/v1/offers/<uuid:offer_id>/meetings/<uuid:meeting_id>/seats"
    count = "planner_http_request_duration_seconds_count"
    assert sample(text, count, route=route, status="201") - sample(before, count, route=route, status="201") == 1
    assert sample(text, count, route=route, status="409") - sample(before, count, route=route, status="409") == 1
    made = sample(text, "planner_bookings_total", kind="seat", outcome="made")
    refused = sample(text, "planner_bookings_total", kind="seat", outcome="conflict")
    assert made - sample(before, "planner_bookings_total", kind="seat", outcome="made") == 1
    assert refused - sample(before, "planner_bookings_total", kind="seat", outcome="conflict") == 1
    lag = "planner_outbox_oldest_unsent_seconds"
    assert f"{lag} 0.0" in before and sample(text, lag) > 0  # the seat's event waits for a relay: its age
    assert "planner_waiting_list_citizens 0.0" in text
    assert offer.offer_id not in text and meeting.meeting_id not in text  # routes, never paths
    assert fictitious_cpr(0) not in text and fictitious_cpr(0)[:6] not in text
