"""Each advisor's free time as the worker announces it for group meetings (O-12):
working time minus their own calendar minus their booked meetings."""

from __future__ import annotations

from datetime import timedelta

from services.calendar_sync.consumer import apply_booking_created
from services.calendar_sync.free_time import advisor_free_time
from shared import events as ev
from shared.intervals import Interval
from shared.service import ServiceContext
from tests.calendar_sync.factories import at, booking_payload, new_id
from tests.calendar_sync.test_compute import NOW, THU, WED, synced_advisor


def free_on(context: ServiceContext, advisor_id: str, now=NOW) -> ev.AdvisorFreeTimePayload:  # type: ignore[no-untyped-def]
    with context.db.transaction() as session:
        payload = advisor_free_time(session, context.settings, advisor_id, now)
    assert payload is not None
    return payload


def spans_on(payload: ev.AdvisorFreeTimePayload, window: Interval) -> list[Interval]:
    return [Interval(s.start, s.end) for s in payload.free if Interval(s.start, s.end).overlaps(window)]


def test_free_time_is_working_time_minus_calendar_minus_booked_meetings(context: ServiceContext) -> None:
    advisor_id = synced_advisor(context, [Interval(at(WED, 10), at(WED, 11))])
    with context.db.transaction() as session:
        apply_booking_created(session, booking_payload(advisor_id, new_id(), at(WED, 13)).envelope(ev.BOOKING_CREATED))

    payload = free_on(context, advisor_id)

    assert not payload.stale and payload.window_start == NOW
    assert spans_on(payload, Interval(at(WED, 0), at(THU, 0))) == [
        Interval(at(WED, 8), at(WED, 10)),
        Interval(at(WED, 11), at(WED, 12)),
        Interval(at(WED, 12, 30), at(WED, 13)),
        Interval(at(WED, 13, 45), at(WED, 15, 30)),
    ]
    assert payload.free[0].start == NOW  # Tuesday 10:00, in working hours: nothing before now


def test_an_advisor_with_stale_calendar_data_has_no_free_time(context: ServiceContext) -> None:
    advisor_id = synced_advisor(context)
    later = NOW + timedelta(seconds=context.settings.calendar_stale_after_seconds + 60)

    payload = free_on(context, advisor_id, later)

    assert payload.stale and payload.free == []


def test_an_unknown_advisor_has_nothing_to_announce(context: ServiceContext) -> None:
    with context.db.transaction() as session:
        assert advisor_free_time(session, context.settings, "nobody", NOW) is None
