"""A rebooking racing another rebooking or a new booking for the same time (B-4, B-6): the
database's exclusion constraint decides, exactly one citizen gets the time, and the
citizen who lost keeps the booking they had.

Both requests are stopped right before they insert the new booking, so both have passed
every early check (the time was free for each of them). Then the first inserts and is
held before it commits; the second inserts and PostgreSQL makes it wait for the first
(seen in ``pg_stat_activity``); then the first commits. Only the exclusion constraint can
refuse the second now.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text

from services.booking.operations import TIME_JUST_TAKEN
from shared import events as ev
from shared.web import PROBLEM_JSON
from tests.booking.conftest import CPH, TODAY, BookingService, at, fictitious_cpr

MEETING_DAY = TODAY + timedelta(days=3)  # rebooking 2 days before: still allowed today
WAIT = 30.0  # seconds; only a safety net so a broken guard fails instead of hanging
INSERT_BOOKING = re.compile(r"\s*INSERT INTO booking\b", re.IGNORECASE)


@dataclass
class Gate:
    """Stops a request's thread at its INSERT INTO booking, before and after it runs."""

    at_insert: threading.Event = field(default_factory=threading.Event)
    may_insert: threading.Event = field(default_factory=threading.Event)
    inserted: threading.Event = field(default_factory=threading.Event)
    may_commit: threading.Event = field(default_factory=threading.Event)


@contextmanager
def _gated(service: BookingService, gates: dict[int, Gate]) -> Iterator[None]:
    """Stop the threads named in ``gates`` (by thread id) at their first booking insert."""
    engine = service.context.db.engine

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        gate = gates.get(threading.get_ident())
        if gate is not None and INSERT_BOOKING.match(statement) and not gate.at_insert.is_set():
            gate.at_insert.set()
            assert gate.may_insert.wait(WAIT)

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        gate = gates.get(threading.get_ident())
        if gate is not None and INSERT_BOOKING.match(statement) and not gate.inserted.is_set():
            gate.inserted.set()
            assert gate.may_commit.wait(WAIT)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def _someone_waits_for_a_lock(service: BookingService) -> bool:
    with service.context.db.engine.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        return bool(connection.execute(text(query)).scalar())


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def _race(service: BookingService, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run two requests so that both pass the early checks, ``first`` inserts first and
    ``second`` inserts while ``first`` has not committed; their responses."""
    responses: dict[str, Any] = {}
    errors: list[BaseException] = []
    gates: dict[int, Gate] = {}
    ready = threading.Barrier(3)

    def run(name: str, request: Callable[[], Any], gate: Gate) -> None:
        gates[threading.get_ident()] = gate
        ready.wait(WAIT)
        try:
            responses[name] = request()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            gate.at_insert.set()  # a request that never reached its insert does not hold up the test
            gate.inserted.set()

    first_gate, second_gate = Gate(), Gate()
    second_gate.may_commit.set()  # only the first is held after its insert
    threads = {
        "first": threading.Thread(target=run, args=("first", first, first_gate)),
        "second": threading.Thread(target=run, args=("second", second, second_gate)),
    }
    with _gated(service, gates):
        for thread in threads.values():
            thread.start()
        ready.wait(WAIT)
        try:
            # both requests found the time free and stand at their insert
            assert first_gate.at_insert.wait(WAIT) and second_gate.at_insert.wait(WAIT)
            first_gate.may_insert.set()
            assert first_gate.inserted.wait(WAIT)
            second_gate.may_insert.set()
            _until(
                lambda: _someone_waits_for_a_lock(service) or not threads["second"].is_alive(),
                "the second insert waits for the first booking's transaction",
            )
        finally:
            for gate in (first_gate, second_gate):
                gate.may_insert.set()
            first_gate.may_commit.set()
            for thread in threads.values():
                thread.join(WAIT)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads.values())
    return responses["first"], responses["second"]


def _rebook(service: BookingService, booking_id: str, n: int, start: Any, advisor: str) -> Callable[[], Any]:
    body = {"start": start.isoformat(), "advisor_id": advisor, "citizen": {"cpr": fictitious_cpr(n)}}
    return lambda: service.client().post(f"/api/v1/bookings/{booking_id}/rebook", json=body)


def _book(service: BookingService, offer_id: str, n: int, start: Any, advisor: str) -> Callable[[], Any]:
    return lambda: service.book(offer_id, start, n=n, advisor_id=advisor)


def _read(service: BookingService, booking_id: str) -> dict[str, Any]:
    response = service.client().get(f"/api/v1/bookings/{booking_id}")
    assert response.status_code == 200
    return dict(response.get_json())


def _offer_with_two_bookings(service: BookingService) -> tuple[str, str, dict[int, str]]:
    """One advisor free at 09:00, 11:00 and 13:00 on MEETING_DAY; citizen 0 holds 09:00
    and citizen 1 holds 11:00. Returns the offer id, the advisor and the booking ids."""
    offer = service.publish_offer(rebooking_days_before=2)
    advisor = offer.advisor_ids[0]
    service.compute(offer.offer_id, {advisor: [at(MEETING_DAY, hh) for hh in (9, 11, 13)]})
    held: dict[int, str] = {}
    for n, hh in ((0, 9), (1, 11)):
        response = service.book(offer.offer_id, at(MEETING_DAY, hh), n=n, advisor_id=advisor)
        assert response.status_code == 201, response.get_json()
        held[n] = response.get_json()["id"]
    assert service.local_starts(offer.offer_id, advisor, MEETING_DAY) == ["13:00"]
    return offer.offer_id, advisor, held


def _assert_lost_to_the_constraint(response: Any) -> None:
    assert response.status_code == 409, response.get_json()
    assert response.mimetype == PROBLEM_JSON
    problem = response.get_json()
    # the database refused it: the early check had found the time free
    assert (problem["code"], problem["detail"]) == ("time_taken", TIME_JUST_TAKEN)


def _assert_intact(service: BookingService, booking_id: str, hh: int) -> None:
    kept = _read(service, booking_id)
    assert (kept["status"], kept["cancelled_at"], kept["rebooked_to"]) == ("active", None, None)
    assert kept["start"] == at(MEETING_DAY, hh).isoformat()


def _active_starts(service: BookingService) -> list[tuple[str, str]]:
    """(citizen, local start) of every active booking."""
    return sorted(
        (service.vault.unseal(b.citizen_cpr_sealed).digits, b.start_at.astimezone(CPH).strftime("%H:%M"))
        for b in service.bookings()
        if b.cancelled_at is None
    )


def _rebooked_events(service: BookingService) -> list[ev.BookingRebookedPayload]:
    return [
        ev.BookingRebookedPayload.model_validate(ev.Envelope.from_json(m.body).payload)
        for m in service.outbox()
        if m.event_type == ev.BOOKING_REBOOKED
    ]


def test_two_rebookings_to_the_same_time_one_wins_and_the_other_keeps_its_booking(service: BookingService) -> None:
    offer_id, advisor, held = _offer_with_two_bookings(service)
    thirteen = at(MEETING_DAY, 13)

    won, lost = _race(
        service,
        _rebook(service, held[0], 0, thirteen, advisor),
        _rebook(service, held[1], 1, thirteen, advisor),
    )

    assert won.status_code == 201, won.get_json()
    _assert_lost_to_the_constraint(lost)
    moved = _read(service, held[0])
    assert moved["status"] == "rebooked" and moved["rebooked_to"] == won.get_json()["id"]
    _assert_intact(service, held[1], 11)  # nothing lost for citizen 1
    assert _active_starts(service) == sorted([(fictitious_cpr(0), "13:00"), (fictitious_cpr(1), "11:00")])
    assert [e.old_booking_id for e in _rebooked_events(service)] == [held[0]]
    assert service.local_starts(offer_id, advisor, MEETING_DAY) == ["09:00"]


def test_a_rebooking_that_loses_to_a_new_booking_keeps_the_old_booking(service: BookingService) -> None:
    offer_id, advisor, held = _offer_with_two_bookings(service)
    thirteen = at(MEETING_DAY, 13)

    won, lost = _race(
        service,
        _book(service, offer_id, 2, thirteen, advisor),
        _rebook(service, held[0], 0, thirteen, advisor),
    )

    assert won.status_code == 201, won.get_json()
    _assert_lost_to_the_constraint(lost)
    _assert_intact(service, held[0], 9)  # nothing lost for citizen 0
    assert _active_starts(service) == sorted(
        [(fictitious_cpr(0), "09:00"), (fictitious_cpr(1), "11:00"), (fictitious_cpr(2), "13:00")]
    )
    assert _rebooked_events(service) == []
    assert service.local_starts(offer_id, advisor, MEETING_DAY) == []


def test_a_new_booking_that_loses_to_a_rebooking_gets_409_and_books_nothing(service: BookingService) -> None:
    offer_id, advisor, held = _offer_with_two_bookings(service)
    thirteen = at(MEETING_DAY, 13)

    won, lost = _race(
        service,
        _rebook(service, held[0], 0, thirteen, advisor),
        _book(service, offer_id, 2, thirteen, advisor),
    )

    assert won.status_code == 201, won.get_json()
    _assert_lost_to_the_constraint(lost)
    assert _active_starts(service) == sorted([(fictitious_cpr(0), "13:00"), (fictitious_cpr(1), "11:00")])
    assert all(service.vault.unseal(b.citizen_cpr_sealed).digits != fictitious_cpr(2) for b in service.bookings())
    created = [m for m in service.outbox() if m.event_type == ev.BOOKING_CREATED]
    assert len(created) == 2  # the two bookings of the setup; none for the refused one
    assert [e.booking.booking_id for e in _rebooked_events(service)] == [won.get_json()["id"]]
    assert service.local_starts(offer_id, advisor, MEETING_DAY) == ["09:00"]
