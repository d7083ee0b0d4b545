"""Prepared times (``prepared_times``) answer exactly what the database answers, through every
change that can make a time free or taken, and every replica sees a change at once.

The random walk books, holds, releases, confirms, cancels and moves in two offers that share
advisors, recomputes availability (with calendar data that grows old), republishes an offer
with other advisors, and moves the clock (across starts, hold expiries and a midnight). After
every step the app's own times listing (its prepared answer, over HTTP) and a second
process's cache are compared with the database path of ``queries`` and ``week_times``.
"""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from services.booking import changes, free_time_versions, holds, queries, week_times
from services.booking.models import Booking, FreeTimeChange, OfferView
from services.booking.operations import book
from services.booking.prepared_times import PreparedTimesCache
from services.booking.schemas import TimesOut
from shared import events as ev
from shared.cpr import parse_cpr
from shared.eligibility import CitizenProfile
from shared.errors import PlannerError
from shared.timeutil import utcnow
from tests.booking.conftest import TODAY, TOMORROW, BookingService, at, build_service, daily_starts, fictitious_cpr

ADVISORS = [str(uuid.UUID(int=n + 1)) for n in range(4)]
HOURS = [(h, m) for h in range(9, 16) for m in (0, 30)]
COMPUTATIONS = itertools.count(1)


@pytest.fixture
def walk_service(booking_pg_url: str) -> Iterator[BookingService]:
    """No notice: today's starts are bookable, so the clock passes some of them."""
    built = build_service(booking_pg_url, booking_notice_days=0, hold_minutes=10)
    yield built
    built.context.close()


def citizen(n: int) -> CitizenProfile:
    return CitizenProfile(cpr=parse_cpr(fictitious_cpr(n)), contact_group="Dagpengemodtager")


def compute(service: BookingService, offer_id: str, advisors: list[str], valid_until: datetime | None) -> None:
    starts = daily_starts(TODAY, 9, HOURS)
    payload = ev.AvailabilityPayload(
        offer_id=offer_id,
        computed_at=utcnow() + timedelta(seconds=next(COMPUTATIONS)),  # each newer than the last
        window_start=at(TODAY, 0),
        window_end=at(TODAY + timedelta(days=71), 0),
        slots=[ev.BookableSlot(advisor_id=a, start=s) for a in advisors for s in starts],
        calendar_valid_until={advisors[0]: valid_until} if valid_until else {},
    )
    service.deliver(payload.envelope(ev.AVAILABILITY_COMPUTED))


class Walk:
    """The scenario's state: the offers, what was booked and held, the clock."""

    def __init__(self, service: BookingService, rng: random.Random) -> None:
        self.service, self.rng = service, rng
        self.x = service.publish_offer(advisor_ids=ADVISORS, citizen_may_choose_advisor=False)
        self.y = service.publish_offer(  # booked up to a week ahead: each midnight brings a new day
            advisor_ids=ADVISORS[:2], duration_minutes=50, reporting_minutes=10, rolling_weeks=1
        )
        self.z = service.publish_offer(advisor_ids=ADVISORS[1:2])  # one advisor: a move away from them shows here
        compute(service, self.x.offer_id, ADVISORS, None)
        compute(service, self.y.offer_id, ADVISORS[:2], None)
        compute(service, self.z.offer_id, ADVISORS[1:2], None)
        self.bookings: list[tuple[uuid.UUID, int]] = []
        self.holds: list[tuple[uuid.UUID, int]] = []
        self.done: Counter[str] = Counter()
        """The changes that were made (not refused), by kind."""

    @property
    def now(self) -> datetime:
        return self.service.clock.now

    def offer_ids(self) -> list[uuid.UUID]:
        return [uuid.UUID(self.x.offer_id), uuid.UUID(self.y.offer_id), uuid.UUID(self.z.offer_id)]

    def start(self) -> datetime:
        return self.rng.choice(daily_starts(TODAY, 3, HOURS))

    def step(self) -> str:
        ctx, rng, now = self.service.context, self.rng, self.now
        n = rng.randrange(25)
        kinds = ["book", "book", "hold", "hold", "rehold", "release", "confirm", "cancel", "move", "move_held"]
        kinds += ["compute", "clock"]
        kind = rng.choice(kinds)
        if kind == "clock":
            self.service.clock.now = now + timedelta(minutes=rng.choice([4, 7, 11]))
            return kind
        if kind == "compute":
            offer = rng.choice([self.x, self.y, self.z])
            valid = now + timedelta(minutes=rng.choice([3, 30, 600]))
            compute(self.service, offer.offer_id, offer.advisor_ids, valid)
            return kind
        try:
            with ctx.db.transaction() as session:
                if self._change(session, kind, n, now):
                    self.done[kind] += 1
        except PlannerError:
            pass  # refused (not free, not movable, ...): the walk goes on
        return kind

    def _change(self, session: Any, kind: str, n: int, now: datetime) -> bool:
        """Make one change of ``kind``; False when there was nothing to change."""
        ctx, rng = self.service.context, self.rng
        offer_id = rng.choice(self.offer_ids())
        if kind == "book":
            self.bookings.append((book(session, ctx.settings, offer_id, self.start(), citizen(n), None, now).id, n))
        elif kind == "hold":
            hold = holds.hold_time(session, ctx.settings, offer_id, self.start(), citizen(n), None, now)
            self.holds.append((hold.id, n))
        elif kind == "confirm" and self.holds:
            hold_id, who = self.holds.pop(rng.randrange(len(self.holds)))
            self.bookings.append((holds.confirm_hold(session, ctx.settings, hold_id, citizen(who), now).id, who))
        elif kind == "release" and self.holds:
            hold_id, who = self.holds.pop(rng.randrange(len(self.holds)))
            return holds.release_hold(session, ctx.settings, hold_id, parse_cpr(fictitious_cpr(who))) is not None
        elif kind == "cancel" and self.bookings:
            booking_id, who = rng.choice(self.bookings)
            cpr = parse_cpr(fictitious_cpr(who))
            changes.cancel_booking(session, booking_id, cpr, now, vault=self.service.vault, settings=ctx.settings)
        elif kind == "rehold" and self.holds:  # a new choice replaces the citizen's hold in that offer
            index = rng.randrange(len(self.holds))
            hold_id, who = self.holds[index]
            held = session.get(Booking, hold_id)
            if held is None or held.held_until is None:
                return False
            advisor = self._another_advisor(session, held)
            new = holds.hold_time(session, ctx.settings, held.offer_id, self.start(), citizen(who), advisor, now)
            self.holds[index] = (new.id, who)
        elif kind == "move" and self.bookings:
            booking_id, who = rng.choice(self.bookings)
            advisor = self._another_advisor(session, session.get(Booking, booking_id))
            moved = changes.rebook_booking(session, ctx.settings, booking_id, self.start(), citizen(who), advisor, now)
            self.bookings.append((moved.id, who))
        elif kind == "move_held" and self.bookings:  # chosen on the week page: held, confirmed later
            booking_id, who = rng.choice(self.bookings)
            old = session.get(Booking, booking_id)
            advisor = self._another_advisor(session, old)
            held = holds.hold_time(
                session, ctx.settings, old.offer_id, self.start(), citizen(who), advisor, now, rebooking_of=booking_id
            )
            self.holds.append((held.id, who))
        else:
            return False
        return True

    def _another_advisor(self, session: Any, row: Booking) -> uuid.UUID | None:
        """Another advisor of the row's offer when the citizen may choose (a move between advisors)."""
        offer = session.get(OfferView, row.offer_id)
        others = [a for a in offer.advisor_uuids() if a != row.advisor_id]
        return self.rng.choice(others) if offer.citizen_may_choose_advisor and others else None


def filters_for(offer: OfferView, now: datetime) -> list[dict[str, Any]]:
    advisors = offer.advisor_uuids()
    return [
        {},
        {"advisor_id": advisors[-1]},
        {"advisors_allowed": advisors[:1]},
        {"start_from": now + timedelta(hours=2), "until": now + timedelta(days=1, hours=3)},
    ]


def database_answer(session: Any, offer: OfferView, settings: Any, now: datetime, **filters: Any) -> Any:
    """The times listing as the database path gives it (``queries.free_starts``) and
    ``TimesOut`` writes it, as a client parses it: each pair with its advisor when the citizen
    may choose one, else each start once, in the offer's zone."""
    pairs = queries.free_starts(session, offer, settings, now, **filters)
    tz, duration = ZoneInfo(offer.timezone), timedelta(minutes=offer.duration_minutes)
    if offer.citizen_may_choose_advisor:
        times = [{"start": s.astimezone(tz), "end": (s + duration).astimezone(tz), "advisor_id": a} for s, a in pairs]
    else:
        starts = sorted({s for s, _ in pairs})
        times = [{"start": s.astimezone(tz), "end": (s + duration).astimezone(tz)} for s in starts]
    document = {
        "offer_id": offer.id,
        "timezone": offer.timezone,
        "citizen_may_choose_advisor": offer.citizen_may_choose_advisor,
        "times": times,
    }
    return json.loads(json.dumps(TimesOut().dump(document)))


def compare(service: BookingService, replica: PreparedTimesCache, offer_id: uuid.UUID, label: str) -> int:
    """Assert the prepared answers equal the database's; the number of times compared."""
    ctx, now = service.context, service.clock.now
    served = service.client().get(f"/api/v1/offers/{offer_id}/times")
    with ctx.db.transaction() as session:
        offer = session.get(OfferView, offer_id)
        assert offer is not None
        listed = database_answer(session, offer, ctx.settings, now)
        assert served.status_code == 200, label
        assert served.get_json() == listed, label
        later = now + timedelta(minutes=6)  # served again a little later, unless out of date by then
        for when, cases in ((now, filters_for(offer, now)), (later, [{}])):
            prepared = replica.get(session, offer_id, when)
            for filters in cases:
                pairs = queries.free_starts(session, offer, ctx.settings, when, **filters)
                assert prepared.pairs(when, **filters) == pairs, (label, when, filters)
                expected = database_answer(session, offer, ctx.settings, when, **filters)
                assert json.loads(prepared.body(when, **filters)) == expected, (label, when, filters)
        prepared = replica.get(session, offer_id, now)
        direct = week_times.citizen_week(session, ctx.settings, offer, citizen(3), now, None)
        assert week_times.citizen_week(session, ctx.settings, offer, citizen(3), now, None, prepared=prepared) == direct
        return len(listed["times"])


def test_prepared_times_are_the_database_answer_through_every_change(walk_service: BookingService) -> None:
    service = walk_service
    service.clock.now = at(TODAY, 10, 3)
    walk = Walk(service, random.Random(12))
    replica = PreparedTimesCache(service.context.settings)  # a second process: asked less often
    kinds: list[str] = []
    compared = 0
    for step in range(120):
        kinds.append("midnight" if step == 70 else walk.step())
        if step == 70:  # past midnight, nothing else changed: a new booking day
            service.clock.now = at(TOMORROW, 0, 5)
        if step == 45:  # the job centre gives offer Y other advisors
            walk.y = service.publish_offer(
                ev.OFFER_CHANGED, **(walk.y.model_dump() | {"advisor_ids": ADVISORS[1:3], "changed_at": walk.now})
            )
            compute(service, walk.y.offer_id, ADVISORS[1:3], None)
        for offer_id in walk.offer_ids():
            if step % 2 == 0 or step == 70 or offer_id != walk.offer_ids()[1]:
                compared += compare(service, replica, offer_id, f"step {step} ({kinds[-1]})")
    assert compared > 2000  # the offers kept enough free times to compare
    assert set(walk.done) == {"book", "hold", "rehold", "release", "confirm", "cancel", "move", "move_held"}, walk.done


def test_every_replica_sees_a_booking_at_once(service: BookingService, booking_pg_url: str) -> None:
    other = build_service(booking_pg_url, known_citizens=False)
    other.clock.now = service.clock.now
    try:
        offer = service.publish_offer(advisor_ids=ADVISORS[:1])
        nine = at(TOMORROW, 9)
        service.compute(offer.offer_id, {ADVISORS[0]: [nine, at(TOMORROW, 10)]})
        assert "09:00" in other.local_starts(offer.offer_id, day=TOMORROW)  # prepared there
        assert "09:00" in service.local_starts(offer.offer_id, day=TOMORROW)  # and here
        assert service.book(offer.offer_id, nine).status_code == 201
        assert other.local_starts(offer.offer_id, day=TOMORROW) == ["10:00"]
        assert other.app.extensions["booking.prepared_times"].builds == 2  # rebuilt for the booking
    finally:
        other.context.close()


def test_unchanged_times_are_served_as_prepared(service: BookingService) -> None:
    offer = service.publish_offer(advisor_ids=ADVISORS[:2])
    service.compute(offer.offer_id, {a: daily_starts(TOMORROW, 2, HOURS) for a in ADVISORS[:2]})
    first = service.times(offer.offer_id)
    cache: PreparedTimesCache = service.app.extensions["booking.prepared_times"]
    assert service.times(offer.offer_id) == first
    assert service.times(offer.offer_id, advisor_id=ADVISORS[1]) == [t for t in first if t["advisor_id"] == ADVISORS[1]]
    assert cache.builds == 1
    service.clock.now += timedelta(minutes=1)
    assert service.times(offer.offer_id) == first
    assert cache.builds == 1  # the clock alone changed nothing
    assert (
        service.book(offer.offer_id, datetime.fromisoformat(first[0]["start"]), advisor_id=ADVISORS[0]).status_code
        == 201
    )
    after = service.times(offer.offer_id)
    assert first[0] not in after and len(after) == len(first) - 2  # 09:00 and 09:30 (the 15 min reporting time)
    assert cache.builds == 2


def test_an_unknown_or_withdrawn_offer_is_not_found(service: BookingService) -> None:
    offer = service.publish_offer(advisor_ids=ADVISORS[:1])
    service.compute(offer.offer_id, {ADVISORS[0]: [at(TOMORROW, 9)]})
    assert len(service.times(offer.offer_id)) == 1
    service.publish_offer(ev.OFFER_CHANGED, **(offer.model_dump() | {"active": False, "changed_at": service.clock.now}))
    response = service.client().get(f"/api/v1/offers/{offer.offer_id}/times")
    assert response.status_code == 404
    assert response.get_json()["detail"] == queries.OFFER_NOT_FOUND
    assert service.client().get(f"/api/v1/offers/{uuid.uuid4()}/times").status_code == 404


@pytest.mark.parametrize("how", ["release", "new_choice", "cancel", "move", "move_by_hold"])
def test_a_time_given_back_in_one_offer_is_free_at_once_in_the_advisors_other_offers(
    service: BookingService, how: str
) -> None:
    """Advisor A works in offer Y (with B; the citizen chooses) and in offer Z alone. A time the
    citizen gives back in Y reappears in Z's (prepared) times at once."""
    a, b = ADVISORS[0], ADVISORS[1]
    day = TODAY + timedelta(days=3)  # far enough ahead to be moved
    nine, ten = at(day, 9), at(day, 10)
    y = service.publish_offer(advisor_ids=[a, b])
    z = service.publish_offer(advisor_ids=[a])
    service.compute(y.offer_id, {a: [nine, ten], b: [nine, ten]})
    service.compute(z.offer_id, {a: [nine, ten]})
    ctx, now, who = service.context, service.clock.now, citizen(4)
    with ctx.db.transaction() as session:
        if how in ("release", "new_choice"):
            taken = holds.hold_time(session, ctx.settings, uuid.UUID(y.offer_id), nine, who, uuid.UUID(a), now)
        else:
            taken = book(session, ctx.settings, uuid.UUID(y.offer_id), nine, who, uuid.UUID(a), now)
    assert service.local_starts(z.offer_id, day=day) == ["10:00"]  # 09:00 is taken, and now prepared so
    with ctx.db.transaction() as session:
        if how == "release":
            holds.release_hold(session, ctx.settings, taken.id, who.cpr)  # type: ignore[arg-type]
        elif how == "new_choice":
            holds.hold_time(session, ctx.settings, uuid.UUID(y.offer_id), ten, who, uuid.UUID(b), now)
        elif how == "cancel":
            changes.cancel_booking(session, taken.id, who.cpr, now, vault=service.vault)  # type: ignore[arg-type]
        elif how == "move":
            changes.rebook_booking(session, ctx.settings, taken.id, ten, who, uuid.UUID(b), now)
        else:
            hold = holds.hold_time(
                session, ctx.settings, uuid.UUID(y.offer_id), ten, who, uuid.UUID(b), now, rebooking_of=taken.id
            )
    if how == "move_by_hold":
        assert service.local_starts(z.offer_id, day=day) == ["10:00"]  # held: the booking is kept meanwhile
        with ctx.db.transaction() as session:
            holds.confirm_hold(session, ctx.settings, hold.id, who, now)
    assert service.local_starts(z.offer_id, day=day) == ["09:00", "10:00"]


def test_folding_the_changes_keeps_every_version(service: BookingService) -> None:
    """The housekeeping that folds each subject's change rows into one changes no version, so
    no prepared answer is rebuilt for it; a change after it still moves the version."""
    offer = service.publish_offer(advisor_ids=ADVISORS[:2])
    day = daily_starts(TOMORROW, 1, HOURS)
    service.compute(offer.offer_id, {a: day for a in ADVISORS[:2]})
    for n, start in enumerate(day[:4]):
        assert service.book(offer.offer_id, start, n=n, advisor_id=ADVISORS[n % 2]).status_code == 201
    subjects = [uuid.UUID(offer.offer_id), *map(uuid.UUID, ADVISORS[:2])]
    ctx = service.context
    with ctx.db.transaction() as session:
        before = free_time_versions.read(session, subjects)
    listed = service.times(offer.offer_id)
    assert free_time_versions.fold(ctx.db) > 0
    with ctx.db.transaction() as session:
        assert free_time_versions.read(session, subjects) == before
        assert session.scalar(select(func.count()).select_from(FreeTimeChange)) == len(subjects)
    cache: PreparedTimesCache = service.app.extensions["booking.prepared_times"]
    builds = cache.builds
    assert service.times(offer.offer_id) == listed and cache.builds == builds  # served as prepared
    assert service.book(offer.offer_id, day[5], n=9, advisor_id=ADVISORS[0]).status_code == 201
    with ctx.db.transaction() as session:
        after = free_time_versions.read(session, subjects)
    assert after[uuid.UUID(ADVISORS[0])] == before[uuid.UUID(ADVISORS[0])] + 1
    assert free_time_versions.fold(ctx.db) == 1  # the one new row joined its advisor's
