"""When an advisor's calendar can no longer be read for longer than the bound, the sync
that notices it makes their offers be computed again, so their times are withdrawn at
once (not left standing in booking); a good read later brings them back. Both through
``sync_advisor`` itself and through the periodic task beat runs (``resync_all``), whose
sync retries a server that does not answer. While reads succeed, the bound that booking
holds on each advisor's times (``calendar_valid_until``) is renewed before it lapses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from celery import Celery

from services.calendar_sync import consumer
from services.calendar_sync.compute import compute_offer_availability, validity_renewal_due
from services.calendar_sync.consumer import apply_offer
from services.calendar_sync.models import AdvisorCalendar
from services.calendar_sync.sync import sync_advisor
from services.demo.embedded_radicale import RadicaleServer
from shared import events as ev
from shared.service import ServiceContext
from shared.timeutil import utcnow
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import (
    CPH,
    advisor_changed,
    at,
    event_ics,
    local_hhmm,
    new_id,
    offer_payload,
    offer_published,
    working_day_ahead,
)
from tests.calendar_sync.test_celery_flow import computed, starts
from tests.calendar_sync.test_sync import NOW, WED, add_advisor, advisor
from tests.conftest import free_port


def wednesday_slots(context: ServiceContext, offer_id: str, now: datetime) -> tuple[int, list[str]]:
    with context.db.transaction() as session:
        payload = compute_offer_availability(session, context.settings, offer_id, now)
    assert payload is not None
    return len([s for s in payload.slots if s.start.date() == WED]), payload.withheld_advisor_ids


def point_calendar_at(context: ServiceContext, advisor_id: str, url: str) -> None:
    """The server moves or goes away (without the advisor's settings changing)."""
    with context.db.transaction() as session:
        row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None
        row.caldav_url = url


def test_an_advisor_whose_calendar_cannot_be_read_for_too_long_is_withdrawn_and_comes_back(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 10), at(WED, 11)))
    advisor_id = add_advisor(context, url)
    offer = offer_payload(new_id(), [advisor_id])
    with context.db.transaction() as session:
        apply_offer(session, offer.envelope(ev.OFFER_PUBLISHED))
    assert sync_advisor(context, advisor_id, NOW).ok
    assert wednesday_slots(context, offer.offer_id, NOW)[0] > 0

    point_calendar_at(context, advisor_id, f"http://127.0.0.1:{free_port()}/anne/work/")
    soon = NOW + timedelta(minutes=5)
    failed = sync_advisor(context, advisor_id, soon)
    assert not failed.ok and failed.affected_offer_ids == []  # still fresh enough: nothing to withdraw yet

    too_late = NOW + timedelta(seconds=context.settings.calendar_stale_after_seconds + 60)
    failed = sync_advisor(context, advisor_id, too_late)
    assert not failed.ok and failed.affected_offer_ids == [offer.offer_id]
    assert wednesday_slots(context, offer.offer_id, too_late) == (0, [advisor_id])

    point_calendar_at(context, advisor_id, url)
    back = too_late + timedelta(minutes=5)
    read = sync_advisor(context, advisor_id, back)
    assert read.ok and read.affected_offer_ids == [offer.offer_id]
    count, withheld = wednesday_slots(context, offer.offer_id, back)
    assert count > 0 and withheld == []


def age_last_read(context: ServiceContext, advisor_id: str, by: timedelta) -> None:
    """The last good read of the advisor's calendar lies ``by`` further back."""
    with context.db.transaction() as session:
        row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None and row.last_success_at is not None
        row.last_success_at -= by


def test_the_periodic_resync_withdraws_the_times_of_a_calendar_not_read_for_too_long(
    context: ServiceContext, celery_app: Celery, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    today = utcnow().astimezone(CPH).date()
    day = working_day_ahead(today)
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(day, 10), at(day, 11)))
    advisor_id, offer_id = new_id(), new_id()
    keys = context.settings.secret_keys
    consumer.handle(context, advisor_changed(advisor_id, caldav_url=url, secret_keys=keys))
    consumer.handle(context, offer_published(offer_id, [advisor_id], first_meeting_date=today, opens_on=today))
    assert "09:00" in local_hhmm(starts(computed(context)[-1], advisor_id), day)
    periodic: Any = celery_app.conf.beat_schedule["resync-all-advisors"]  # what beat sends every interval

    point_calendar_at(context, advisor_id, f"http://127.0.0.1:{free_port()}/anne/work/")  # the server is gone
    age_last_read(context, advisor_id, timedelta(seconds=context.settings.calendar_stale_after_seconds + 60))
    celery_app.tasks[periodic["task"]].delay()

    withdrawn = computed(context)[-1]
    assert withdrawn["offer_id"] == offer_id and withdrawn["sent"]
    assert withdrawn["slots"] == [] and withdrawn["withheld_advisor_ids"] == [advisor_id]

    point_calendar_at(context, advisor_id, url)  # back again: the next periodic run offers the times again
    celery_app.tasks[periodic["task"]].delay()

    back = computed(context)[-1]
    assert back["withheld_advisor_ids"] == [] and "09:00" in local_hhmm(starts(back, advisor_id), day)
    assert "10:00" not in local_hhmm(starts(back, advisor_id), day)


def test_a_sync_of_an_unchanged_calendar_renews_the_bound_booking_holds_once_half_of_it_passed(
    context: ServiceContext, celery_app: Celery, new_calendar: Callable[[str], str]
) -> None:
    today = utcnow().astimezone(CPH).date()
    advisor_id, offer_id = new_id(), new_id()
    keys = context.settings.secret_keys
    consumer.handle(context, advisor_changed(advisor_id, caldav_url=new_calendar("anne"), secret_keys=keys))
    consumer.handle(context, offer_published(offer_id, [advisor_id], first_meeting_date=today, opens_on=today))
    announced = len(computed(context))
    bound = timedelta(seconds=context.settings.calendar_stale_after_seconds)
    age_last_read(context, advisor_id, bound / 2 + timedelta(seconds=1))  # the last read lies in an earlier half

    celery_app.tasks["calendar_sync.sync_advisor"].delay(advisor_id)  # as resync_all sends it: nothing changed

    assert len(computed(context)) == announced + 1
    renewed = computed(context)[-1]
    read = advisor(context, advisor_id).last_success_at
    assert read is not None and renewed["sent"] and renewed["slots"]
    assert datetime.fromisoformat(renewed["calendar_valid_until"][advisor_id]) == read + bound


@pytest.mark.parametrize(("bound_seconds", "every_seconds"), [(3600, 300), (3600, 1799), (60, 5), (60, 29)])
def test_while_reads_succeed_more_often_than_every_half_bound_the_announced_bound_never_lapses(
    bound_seconds: int, every_seconds: int
) -> None:
    bound, every = timedelta(seconds=bound_seconds), timedelta(seconds=every_seconds)
    read = datetime(2026, 3, 29, 0, 7, 13, tzinfo=UTC)  # any instant; this one is a DST night in Denmark
    previous: datetime | None = None
    announced_until: datetime | None = None
    announcements = 0
    for _ in range(int(8 * bound / every)):
        assert announced_until is None or announced_until >= read, "booking would withhold a current calendar"
        if validity_renewal_due(previous, read, bound):
            announced_until, announcements = read + bound, announcements + 1
        previous, read = read, read + every
    assert announcements <= 8 * 2 + 1  # at most once per half bound, not at every read


def test_the_first_read_always_announces_and_reads_within_one_half_of_the_bound_do_not() -> None:
    bound = timedelta(hours=1)
    half_start = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # periods of 30 minutes from the epoch
    assert validity_renewal_due(None, half_start, bound)
    assert not validity_renewal_due(half_start, half_start + timedelta(minutes=29, seconds=59), bound)
    assert validity_renewal_due(half_start - timedelta(seconds=1), half_start, bound)
