"""The worker's in-memory busy time: one changed event is spliced in, and no worker
process ever computes times from busy time another process has changed since."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.calendar_sync.busy_cache import BUSY_CACHE, BusyCache, BusyChange, database_of, load_busy
from services.calendar_sync.compute import compute_offer_availability
from services.calendar_sync.consumer import apply_offer
from services.calendar_sync.models import AdvisorCalendar, Base, CalendarObject, intervals_to_json
from services.calendar_sync.sync import sync_advisor
from services.demo.embedded_radicale import RadicaleServer
from shared import events as ev
from shared.intervals import Interval, merge
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import CPH, at, event_ics, local_hhmm, new_id, offer_payload
from tests.calendar_sync.test_sync import add_advisor, advisor

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=CPH)  # a Tuesday
WED = date(2026, 12, 2)


def wednesday_starts(context: ServiceContext, offer_id: str) -> list[str]:
    with context.db.transaction() as session:
        payload = compute_offer_availability(session, context.settings, offer_id, NOW)
    assert payload is not None
    return local_hhmm([slot.start for slot in payload.slots], WED)


def test_a_moved_event_moves_the_free_times_without_reading_every_row_again(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 10), at(WED, 11)))
    radicale.put_event("anne", USERS["anne"], url, event_ics("lunch", at(WED, 12), at(WED, 12, 30)))
    advisor_id = add_advisor(context, url)
    offer = offer_payload(new_id(), [advisor_id], duration_minutes=60, reporting_minutes=0, start_minutes=[0])
    with context.db.transaction() as session:
        apply_offer(session, offer.envelope(ev.OFFER_PUBLISHED))
    assert sync_advisor(context, advisor_id, NOW).ok
    before = wednesday_starts(context, offer.offer_id)
    assert "10:00" not in before and "13:00" in before
    loads = BUSY_CACHE.loads

    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 13), at(WED, 14)))
    outcome = sync_advisor(context, advisor_id, NOW + timedelta(minutes=5))

    assert outcome.changed
    after = wednesday_starts(context, offer.offer_id)
    assert "10:00" in after and "13:00" not in after
    assert [t for t in after if t not in ("10:00", "13:00")] == [t for t in before if t not in ("10:00", "13:00")]
    assert BUSY_CACHE.loads == loads  # spliced, not read again


def test_another_worker_process_never_uses_busy_time_that_changed_since_it_read_it(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 10), at(WED, 11)))
    advisor_id = add_advisor(context, url)
    assert sync_advisor(context, advisor_id, NOW).ok
    other_process = BusyCache()
    with context.db.transaction() as session:
        assert other_process.busy(session, advisor(context, advisor_id)) == [Interval(at(WED, 10), at(WED, 11))]

    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 14), at(WED, 15)))
    assert sync_advisor(context, advisor_id, NOW + timedelta(minutes=5)).changed  # stored by "this" process

    with context.db.transaction() as session:
        assert other_process.busy(session, advisor(context, advisor_id)) == [Interval(at(WED, 14), at(WED, 15))]


@pytest.fixture(scope="module")
def engine() -> Iterator[object]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def new_advisor(advisor_id: str | None = None) -> AdvisorCalendar:
    return AdvisorCalendar(
        advisor_id=advisor_id or new_id(),
        job_centre_code="101",
        name="A",
        timezone="Europe/Copenhagen",
        working_hours={},
        closed_days=[],
        changed_at=NOW,
    )


HOURS = st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)), max_size=4)
"""One object's busy time: (start hour from Monday 7 Dec 2026, length in hours) pairs."""


def intervals_of(hours: list[tuple[int, int]]) -> list[Interval]:
    monday = datetime(2026, 12, 7, tzinfo=CPH)
    return [Interval(monday + timedelta(hours=h), monday + timedelta(hours=h + n)) for h, n in hours]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.integers(0, 4), st.one_of(st.none(), HOURS)), min_size=1, max_size=12))
def test_spliced_busy_time_is_always_what_the_rows_say(engine: object, changes: list) -> None:  # type: ignore[type-arg]
    """Random creates, edits and deletes of five objects, each stored as the sync stores
    it: after every change the spliced copy equals the rows read afresh."""
    cache = BusyCache()
    advisor_id = new_id()
    window = Interval(datetime(2026, 12, 1, tzinfo=CPH), datetime(2027, 2, 1, tzinfo=CPH))
    with Session(engine) as session:  # type: ignore[call-overload]
        row = new_advisor(advisor_id)
        session.add(row)
        session.commit()
        assert cache.busy(session, row) == []
        for number, hours in changes:
            href = f"/anne/work/{number}.ics"
            stored = session.get(CalendarObject, (advisor_id, href))
            removed = stored.busy_intervals() if stored is not None else []
            added = intervals_of(hours) if hours is not None else []
            if hours is None and stored is not None:
                session.delete(stored)
            elif hours is not None:
                if stored is None:
                    stored = CalendarObject(advisor_id=advisor_id, href=href, window_start=window.start)
                    stored.window_end = window.end
                    session.add(stored)
                stored.busy = intervals_to_json(added)
            change = BusyChange(database_of(session), advisor_id, row.busy_version, row.busy_version + 1,
                                tuple(removed), tuple(added))  # fmt: skip
            row.busy_version = change.after
            session.commit()
            cache.apply(change)

            assert cache.busy(session, row) == merge(load_busy(session, advisor_id))
        assert cache.loads == 1


def test_a_worker_keeps_at_most_its_capacity_of_advisors_in_memory(engine: object) -> None:
    cache = BusyCache(capacity=2)
    with Session(engine) as session:  # type: ignore[call-overload]
        advisors = [new_advisor() for _ in range(3)]
        session.add_all(advisors)
        session.commit()
        for advisor in [*advisors, advisors[2], advisors[1]]:  # the third pushes out the first
            cache.busy(session, advisor)
        assert cache.loads == 3
        cache.busy(session, advisors[0])  # read again
        assert cache.loads == 4
