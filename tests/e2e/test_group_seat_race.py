"""A thousand citizens press "Book" on a group meeting with 10 seats at the same moment,
over HTTP, against the booking service running as its own process on PostgreSQL: exactly
10 get a seat, the other 990 a clear 409 problem, none a server error (B-6, issue 14)."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.booking import consumer
from services.booking.app import build_booking_context
from services.booking.citizens.store import save_profiles
from services.booking.db import migrate
from services.booking.models import Booking, GroupMeetingView
from shared import events as ev
from shared.cpr import parse_cpr
from shared.cpr_vault import vault_for_settings
from shared.eligibility import CitizenProfile
from shared.timeutil import local_midnight, today_in, zone
from tests.booking.conftest import ADULT_ON_BENEFITS
from tests.conftest import TEST_CPR_KEYS, free_port, make_settings
from tests.e2e.processes import ServiceProcesses, show_logs_on_failure, wait_healthy
from tests.identities import IT_KEY, api_keys_setting

pytestmark = pytest.mark.e2e

CITIZENS, SEATS = 1000, 10
TZ = zone("Europe/Copenhagen")
FULL = "Mødet er fuldt. Skal borgeren have en plads ud over mødets pladser, så bekræft det (above_capacity)."
"""What staff booking for a citizen hear (the race is run with a staff key)."""


def cpr(n: int) -> str:
    """A fictitious CPR number per n < 1000: 1 January 1990, serials 4000 to 4999."""
    return f"010190{4000 + n:04d}"


def seed(url: str) -> tuple[str, str]:
    """A group offer with one meeting of 10 seats three days ahead, and the citizens."""
    settings = make_settings(booking_database_url=url)
    context = build_booking_context(settings)
    today = today_in(TZ, datetime.now(TZ))
    start = local_midnight(today + timedelta(days=3), TZ) + timedelta(hours=10)
    meeting = ev.GroupMeetingPayload(
        meeting_id=str(uuid.uuid4()), start=start, end=start + timedelta(hours=1), seats=SEATS, extra_seats=5
    )
    offer = ev.OfferPayload(
        offer_id=str(uuid.uuid4()), job_centre_code="10101", name="Informationsmøde", description="",
        conversation_type=9, variant=None, meeting_form="group", channel="in_person", place="Torvet 1", phone=None,
        duration_minutes=60, reporting_minutes=15, start_minutes=[], first_meeting_date=today - timedelta(days=1),
        end_date=None, rolling_weeks=None, opens_on=today - timedelta(days=1), timezone="Europe/Copenhagen",
        advisor_ids=[str(uuid.uuid4())], citizen_may_choose_advisor=False, accept_cancellation=True,
        rebooking_days_before=1, active=True, changed_at=datetime.now(TZ), rules=ADULT_ON_BENEFITS,
        meetings=[meeting],
    )  # fmt: skip
    try:
        assert consumer.handle(context, offer.envelope(ev.OFFER_PUBLISHED))
        profiles = [CitizenProfile(cpr=parse_cpr(cpr(n)), contact_group="Dagpengemodtager") for n in range(CITIZENS)]
        with context.db.transaction() as session:
            save_profiles(session, profiles, vault_for_settings(settings))
    finally:
        context.close()
    return offer.offer_id, meeting.meeting_id


def race(port: int, path: str) -> list[tuple[int, dict[str, Any]]]:
    """Every citizen's POST from its own thread and connection, released at once."""
    ready = threading.Barrier(CITIZENS)
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {IT_KEY.key}", "Content-Type": "application/json"}

    def press(n: int) -> None:
        body = json.dumps({"citizen": {"cpr": cpr(n)}})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        connection.connect()
        ready.wait()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = (response.status, json.loads(response.read() or b"{}"))
        connection.close()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=press, args=(n,)) for n in range(CITIZENS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(answers) == CITIZENS
    return answers


def test_a_thousand_citizens_race_for_ten_seats(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    create_database: Callable[[str], str],
    rabbitmq_url: str,
    unique_exchange: str,
) -> None:
    url = create_database("seat_race_booking")
    migrate(url)
    offer_id, meeting_id = seed(url)
    port = free_port()
    env = {
        "PLANNER_BOOKING_DATABASE_URL": url,
        "PLANNER_BROKER_URL": rabbitmq_url,
        "PLANNER_EVENTS_EXCHANGE": unique_exchange,
        "PLANNER_CPR_KEYS": TEST_CPR_KEYS,
        "PLANNER_API_KEYS": api_keys_setting(IT_KEY),
        "PLANNER_LOG_LEVEL": "WARNING",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = ServiceProcesses(logs, env)
    show_logs_on_failure(request, procs.logs)
    try:
        procs.start("booking", "booking", "serve", "--port", str(port), "--threads", "16")
        wait_healthy(f"http://127.0.0.1:{port}", procs)
        answers = race(port, f"/api/v1/offers/{offer_id}/meetings/{meeting_id}/seats")
    finally:
        procs.stop()

    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: SEATS, 409: CITIZENS - SEATS}, statuses
    refusals = [problem for status, problem in answers if status == 409]
    assert {(p["code"], p["detail"]) for p in refusals} == {("meeting_full", FULL)}
    context = build_booking_context(make_settings(booking_database_url=url))
    try:
        with context.db.transaction() as session:
            taken = session.scalar(select(GroupMeetingView.taken).where(GroupMeetingView.id == uuid.UUID(meeting_id)))
            active = session.scalar(
                select(func.count())
                .select_from(Booking)
                .where(Booking.group_meeting_id == uuid.UUID(meeting_id), Booking.cancelled_at.is_(None))
            )
    finally:
        context.close()
    assert taken == active == SEATS
