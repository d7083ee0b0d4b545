"""No time is ever given twice (B-6): twenty citizens press "Book" at the same moment."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from services.booking.db import migrate
from services.booking.models import Booking, OutboxMessage
from services.booking.operations import book
from shared.cpr import parse_cpr
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, PlannerError
from tests.booking.conftest import TOMORROW, BookingService, at, build_service, fictitious_cpr

CITIZENS = 20


def _race(service: BookingService, body: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """POST ``body`` from CITIZENS threads at once (each its own client and citizen)."""
    barrier = threading.Barrier(CITIZENS)
    results: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        client = service.client()
        payload = {**body, "citizen": {"cpr": fictitious_cpr(n)}}
        barrier.wait()
        response = client.post("/api/v1/bookings", json=payload)
        with lock:
            results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(CITIZENS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == CITIZENS
    return results


def _assert_one_winner(service: BookingService, results: list[tuple[int, dict[str, Any]]], winners: int = 1) -> None:
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * winners + [409] * (CITIZENS - winners), statuses
    for status, problem in results:
        if status == 409:
            assert problem["status"] == 409 and problem["title"] and problem["detail"]
            assert problem["detail"] in (
                "Tiden er desværre lige blevet booket. Vælg en anden tid.",
                "Tiden er ikke længere ledig. Vælg en anden tid.",
            )
    assert service.count(Booking) == winners
    assert service.count(OutboxMessage) == winners


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[BookingService]:
    url = f"sqlite:///{tmp_path / 'booking.db'}"
    migrate(url)
    built = build_service(url)
    yield built
    built.context.close()


def _offer_with_one_time(service: BookingService, advisors: int = 1, choose: bool = True) -> tuple[str, list[str]]:
    ids = [str(uuid.uuid4()) for _ in range(advisors)]
    offer = service.publish_offer(advisor_ids=ids, citizen_may_choose_advisor=choose)
    service.compute(offer.offer_id, {a: [at(TOMORROW, 13)] for a in ids})
    return offer.offer_id, ids


def test_one_of_twenty_concurrent_bookings_wins_on_postgresql(service: BookingService) -> None:
    offer_id, [advisor] = _offer_with_one_time(service)
    body = {"offer_id": offer_id, "advisor_id": advisor, "start": at(TOMORROW, 13).isoformat()}

    _assert_one_winner(service, _race(service, body))
    assert service.times(offer_id) == []


def test_two_advisors_give_two_winners_when_the_service_picks_on_postgresql(service: BookingService) -> None:
    offer_id, advisors = _offer_with_one_time(service, advisors=2, choose=False)

    _assert_one_winner(service, _race(service, {"offer_id": offer_id, "start": at(TOMORROW, 13).isoformat()}), 2)
    assert sorted(str(b.advisor_id) for b in service.bookings()) == sorted(advisors)


def test_one_of_twenty_concurrent_bookings_wins_on_sqlite(sqlite_service: BookingService) -> None:
    offer_id, [advisor] = _offer_with_one_time(sqlite_service)
    body = {"offer_id": offer_id, "advisor_id": advisor, "start": at(TOMORROW, 13).isoformat()}

    _assert_one_winner(sqlite_service, _race(sqlite_service, body))
    assert sqlite_service.times(offer_id) == []


def _second_booking_waits_for_first(service: BookingService, offer_id: str, advisor_id: str | None) -> Any:
    """Book in an open transaction, start a second booking of the same time in a thread,
    wait until the database makes it wait for the first, commit the first; return what
    the second booking got (its Booking or the error)."""
    db, settings, now = service.context.db, service.context.settings, service.clock.now
    start = at(TOMORROW, 13)
    advisor = uuid.UUID(advisor_id) if advisor_id else None
    outcome: list[Any] = []

    def second() -> None:
        try:
            with db.transaction() as session:
                outcome.append(book(session, settings, uuid.UUID(offer_id), start, _citizen(2), advisor, now))
        except PlannerError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=second)
    with db.transaction() as first:
        book(first, settings, uuid.UUID(offer_id), start, _citizen(1), advisor, now)
        thread.start()
        deadline = time.monotonic() + 20
        while not _someone_waits_for_a_lock(service):
            assert time.monotonic() < deadline, "the second booking never reached the database guard"
            time.sleep(0.02)
    thread.join(timeout=20)
    return outcome[0]


def _citizen(n: int) -> CitizenProfile:
    return CitizenProfile(cpr=parse_cpr(fictitious_cpr(n)), contact_group="Dagpengemodtager")


def _someone_waits_for_a_lock(service: BookingService) -> bool:
    with service.context.db.engine.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        return bool(connection.execute(text(query)).scalar())


def test_the_exclusion_constraint_turns_a_lost_race_into_a_conflict(service: BookingService) -> None:
    offer_id, [advisor] = _offer_with_one_time(service)

    lost = _second_booking_waits_for_first(service, offer_id, advisor)

    assert isinstance(lost, Conflict)
    assert lost.detail == "Tiden er desværre lige blevet booket. Vælg en anden tid."
    assert service.count(Booking) == 1 and service.count(OutboxMessage) == 1


def test_a_lost_race_for_one_advisor_falls_back_to_the_next_free_advisor(service: BookingService) -> None:
    offer_id, [anne, bo] = _offer_with_one_time(service, advisors=2, choose=False)

    booked = _second_booking_waits_for_first(service, offer_id, None)

    assert isinstance(booked, Booking), booked
    assert str(booked.advisor_id) == bo
    assert [str(b.advisor_id) for b in service.bookings()] == [anne, bo]
    assert service.count(OutboxMessage) == 2
