"""``week_times.free_start_times`` (the week page's query, counted in PostgreSQL) gives exactly
the distinct starts of ``queries.free_starts`` (the booking path, checked in Python), over
bookings in two offers, holds that have and have not expired, and every filter."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from services.booking import holds, queries
from services.booking.models import OfferView
from services.booking.operations import book
from services.booking.week_times import free_start_times
from shared.cpr import parse_cpr
from shared.eligibility import CitizenProfile
from shared.errors import PlannerError
from tests.booking.conftest import TOMORROW, BookingService, at, daily_starts, fictitious_cpr

NOW = at(TOMORROW - timedelta(days=1), 8)
ADVISORS = [str(uuid.UUID(int=n + 1)) for n in range(5)]


def citizen(n: int) -> CitizenProfile:
    return CitizenProfile(cpr=parse_cpr(fictitious_cpr(n)), contact_group="Dagpengemodtager")


def _seed(service: BookingService, rng: random.Random) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Offer X (30 + 15 min) and offer Y (50 + 10 min) on the same advisors, bookings in both and
    holds in X, some of which expire before NOW + 20 minutes."""
    hours = [(h, m) for h in range(9, 15) for m in (0, 30)]
    starts = daily_starts(TOMORROW + timedelta(days=1), 3, hours)
    x = service.publish_offer(advisor_ids=ADVISORS)
    y = service.publish_offer(advisor_ids=ADVISORS[:3], duration_minutes=50, reporting_minutes=10)
    service.compute(x.offer_id, {a: starts for a in ADVISORS})
    service.compute(y.offer_id, {a: starts for a in ADVISORS[:3]})
    ctx = service.context
    held: list[uuid.UUID] = []
    for n in range(18):
        offer_id = uuid.UUID(rng.choice([x.offer_id, y.offer_id]))
        start = rng.choice(starts)
        taken_at = NOW + timedelta(minutes=rng.choice([0, 15]))  # a 10-minute hold from 08.15 is alive at 08.20
        try:
            with ctx.db.transaction() as session:
                if n % 3 == 0 and str(offer_id) == x.offer_id:
                    held.append(holds.hold_time(session, ctx.settings, offer_id, start, citizen(n), None, taken_at).id)
                else:
                    book(session, ctx.settings, offer_id, start, citizen(n), None, NOW)
        except PlannerError:
            pass  # that time was not free: another try
    return uuid.UUID(x.offer_id), held


def _both(service: BookingService, offer_id: uuid.UUID, now: datetime, **filters: object) -> tuple[list, list]:
    ctx = service.context
    with ctx.db.transaction() as session:
        offer = session.get(OfferView, offer_id)
        assert offer is not None
        python = sorted({s for s, _ in queries.free_starts(session, offer, ctx.settings, now, **filters)})  # type: ignore[arg-type]
        counted = free_start_times(session, offer, ctx.settings, now, **filters)  # type: ignore[arg-type]
    return python, counted


def test_the_counted_starts_are_the_checked_ones(service: BookingService) -> None:
    rng = random.Random(11)
    offer_id, held = _seed(service, rng)
    later = NOW + timedelta(minutes=20)
    first_day = at(TOMORROW + timedelta(days=1), 0)
    cases: list[dict[str, object]] = [
        {},
        {"advisor_id": uuid.UUID(ADVISORS[1])},
        {"advisors_allowed": [uuid.UUID(a) for a in ADVISORS[:2]]},
        {"start_from": first_day + timedelta(hours=10), "until": first_day + timedelta(days=1, hours=12)},
        {"ignore_hold": held[0] if held else None},
    ]
    compared = 0
    for now in (NOW, later):
        for filters in cases:
            python, counted = _both(service, offer_id, now, **filters)
            assert counted == python, (now, filters)
            compared += len(python)
    assert compared > 100  # the scenario offers enough times to compare
    python, _ = _both(service, offer_id, later)
    with service.context.db.transaction() as session:
        offer = session.get(OfferView, offer_id)
        assert offer is not None
        first_three = free_start_times(session, offer, service.context.settings, later, limit=3)
    assert first_three == python[:3]
