"""Holding a chosen time (``services.booking.holds``), on PostgreSQL: the hold keeps the time
from everyone else under the bookings' own exclusion constraint, stops blocking once it has
expired without any timer, is one per citizen and offer, and becomes the booking on confirm."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from services.booking import holds, queries
from services.booking.models import Booking, OfferView, OutboxMessage
from services.booking.operations import book
from shared.cpr import parse_cpr
from shared.eligibility import CitizenProfile
from shared.errors import Conflict, PlannerError
from tests.booking.conftest import TOMORROW, BookingService, at, fictitious_cpr

NOW = at(TOMORROW - timedelta(days=1), 9)
A, B = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
NINE = at(TOMORROW + timedelta(days=1), 9)


def citizen(n: int) -> CitizenProfile:
    return CitizenProfile(cpr=parse_cpr(fictitious_cpr(n)), contact_group="Dagpengemodtager")


def offer(service: BookingService, **overrides: Any) -> uuid.UUID:
    payload = service.publish_offer(advisor_ids=[A], **overrides)
    service.compute(payload.offer_id, {A: [NINE, NINE + timedelta(minutes=30), NINE + timedelta(hours=1)]})
    return uuid.UUID(payload.offer_id)


def run(service: BookingService, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``action(session, settings, *args)`` in one transaction of the service's database."""
    ctx = service.context
    with ctx.db.transaction() as session:
        result = action(session, ctx.settings, *args, **kwargs)
        return result.id if isinstance(result, Booking) else result


def hold(service: BookingService, offer_id: uuid.UUID, n: int, start: datetime, now: datetime = NOW, **kw: Any) -> Any:
    return run(service, holds.hold_time, offer_id, start, citizen(n), None, now, **kw)


def free_starts(service: BookingService, offer_id: uuid.UUID, now: datetime = NOW) -> list[datetime]:
    ctx = service.context
    with ctx.db.transaction() as session:
        view = session.get(OfferView, offer_id)
        assert view is not None
        return [s for s, _ in queries.free_starts(session, view, ctx.settings, now)]


def test_a_held_time_is_nobody_elses_until_it_expires(service: BookingService) -> None:
    offer_id = offer(service)
    held = hold(service, offer_id, 1, NINE)
    assert NINE not in free_starts(service, offer_id)
    with pytest.raises(Conflict):  # neither held nor booked by another citizen
        hold(service, offer_id, 2, NINE)
    with pytest.raises(Conflict):
        run(service, book, offer_id, NINE, citizen(2), None, NOW + timedelta(minutes=9))
    assert service.count(OutboxMessage) == 0  # a hold announces nothing

    later = NOW + timedelta(minutes=10)  # the default hold is 10 minutes: expired now, by SQL alone
    assert NINE in free_starts(service, offer_id, later)
    booked = run(service, book, offer_id, NINE, citizen(2), None, later)
    [row] = [b for b in service.bookings() if b.start_at == NINE]
    assert row.id == booked and row.held_until is None  # the expired hold's row was cleared for it
    with pytest.raises(PlannerError) as gone:
        run(service, holds.confirm_hold, held, citizen(1), later)
    assert gone.value.status == 404 and gone.value.code == "hold_not_found"


def test_the_exclusion_constraint_itself_keeps_a_hold_and_a_booking_apart(service: BookingService) -> None:
    offer_id = offer(service)
    held = hold(service, offer_id, 1, NINE)
    row = next(b for b in service.bookings() if b.id == held)
    copy = {c: getattr(row, c) for c in ("offer_id", "advisor_id", "citizen_cpr_sealed", "start_at", "end_at",
                                         "occupied_until", "accept_cancellation", "rebooking_days_before")}  # fmt: skip
    values = {**copy, "id": uuid.uuid4(), "reference": "ZZZZZZZZ", "citizen_cpr_index": "other", "created_at": NOW}
    with pytest.raises(IntegrityError), service.context.db.transaction() as session:
        session.execute(insert(Booking).values(**values))  # no check in Python: the database refuses


def test_a_citizen_holds_one_time_per_offer_and_a_new_choice_replaces_it(service: BookingService) -> None:
    offer_id = offer(service)
    first = hold(service, offer_id, 1, NINE)
    second = hold(service, offer_id, 1, NINE + timedelta(hours=1))
    rows = [b for b in service.bookings() if b.held_until is not None]
    assert [r.id for r in rows] == [second] and first != second
    assert NINE in free_starts(service, offer_id)  # the replaced hold gave its time back
    with pytest.raises(IntegrityError), service.context.db.transaction() as session:
        row = session.get(Booking, second)
        assert row is not None
        end = NINE + timedelta(minutes=30)
        times = {"start_at": NINE, "end_at": end, "occupied_until": end + timedelta(minutes=15)}
        session.add(Booking(**{**_columns(row), **times, "id": uuid.uuid4(), "reference": "YYYYYYYY"}))
        session.flush()  # the one-hold-per-citizen-per-offer index


def _columns(row: Booking) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in Booking.__table__.columns}


def test_confirming_turns_the_hold_into_the_booking_once(service: BookingService) -> None:
    offer_id = offer(service)
    held = hold(service, offer_id, 1, NINE)
    booked = run(service, holds.confirm_hold, held, citizen(1), NOW + timedelta(minutes=5), email="anna@example.dk")
    again = run(service, holds.confirm_hold, held, citizen(1), NOW + timedelta(minutes=6))
    assert booked == again == held
    [row] = service.bookings()
    assert row.held_until is None and row.status == "active" and row.email == "anna@example.dk"
    assert [m.event_type for m in service.outbox()] == ["booking.created"]
    with pytest.raises(PlannerError) as stranger:
        run(service, holds.confirm_hold, held, citizen(2), NOW + timedelta(minutes=6))
    assert stranger.value.status == 404


def test_an_expired_hold_cannot_be_confirmed(service: BookingService) -> None:
    offer_id = offer(service)
    held = hold(service, offer_id, 1, NINE)
    with pytest.raises(Conflict) as expired:
        run(service, holds.confirm_hold, held, citizen(1), NOW + timedelta(minutes=10))
    assert expired.value.code == "hold_expired" and "10 minutter" in expired.value.detail
    assert service.count(OutboxMessage) == 0


def test_a_hold_to_move_a_booking_keeps_the_old_one_until_it_is_confirmed(service: BookingService) -> None:
    offer_id = offer(service, rebooking_days_before=0)
    old = run(service, book, offer_id, NINE, citizen(1), None, NOW)
    new_time = NINE + timedelta(hours=1)
    held = hold(service, offer_id, 1, new_time, rebooking_of=old)
    by_id = {b.id: b for b in service.bookings()}
    assert by_id[old].status == "active" and by_id[held].status == "held"
    run(service, holds.release_hold, held, parse_cpr(fictitious_cpr(1)))
    assert [b.id for b in service.bookings()] == [old]  # gave the new time back: nothing moved

    held = hold(service, offer_id, 1, new_time, rebooking_of=old)
    run(service, holds.confirm_hold, held, citizen(1), NOW + timedelta(minutes=1))
    by_id = {b.id: b for b in service.bookings()}
    assert by_id[old].status == "rebooked" and by_id[old].rebooked_to_id == held
    assert by_id[held].status == "active" and by_id[held].start_at == new_time
    assert [m.event_type for m in service.outbox()] == ["booking.created", "booking.rebooked"]
    with pytest.raises(PlannerError):  # another citizen cannot move Anna's booking by a hold
        hold(service, offer_id, 2, NINE, rebooking_of=held)


def test_a_hold_for_a_citizen_who_has_booked_is_refused(service: BookingService) -> None:
    offer_id = offer(service)
    run(service, book, offer_id, NINE, citizen(1), None, NOW)
    with pytest.raises(Conflict) as refused:
        hold(service, offer_id, 1, NINE + timedelta(hours=1))
    assert refused.value.code == "already_booked"


def test_twenty_citizens_choosing_one_time_at_once_get_one_hold(service: BookingService) -> None:
    offer_id = offer(service)
    barrier = threading.Barrier(20)
    outcomes: list[object] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            result: object = hold(service, offer_id, n, NINE)
        except PlannerError as exc:
            result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    won = [o for o in outcomes if isinstance(o, uuid.UUID)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 19, outcomes
    with service.context.db.transaction() as session:
        assert session.scalars(select(Booking.id)).all() == won
