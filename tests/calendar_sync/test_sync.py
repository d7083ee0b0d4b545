"""Reading advisors' calendars from a real Radicale server into the busy-time cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import caldav
from sqlalchemy import select

from services.calendar_sync.consumer import apply_advisor_changed, apply_offer
from services.calendar_sync.models import AdvisorCalendar, CalendarObject
from services.calendar_sync.sync import sync_advisor
from services.demo.embedded_radicale import RadicaleServer
from shared import events as ev
from shared.intervals import Interval
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import CPH, advisor_changed, at, event_ics, new_id, offer_payload
from tests.conftest import free_port

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=CPH)  # a Tuesday
TUE, WED = date(2026, 12, 1), date(2026, 12, 2)


def add_advisor(context: ServiceContext, url: str | None, **kwargs: object) -> str:
    advisor_id = new_id()
    envelope = advisor_changed(advisor_id, caldav_url=url, secret_keys=context.settings.secret_keys, **kwargs)  # type: ignore[arg-type]
    with context.db.transaction() as session:
        apply_advisor_changed(session, envelope)
    return advisor_id


def objects(context: ServiceContext, advisor_id: str) -> dict[str, CalendarObject]:
    with context.db.transaction() as session:
        rows = session.scalars(select(CalendarObject).where(CalendarObject.advisor_id == advisor_id))
        return {row.uid or row.href: row for row in rows}


def advisor(context: ServiceContext, advisor_id: str) -> AdvisorCalendar:
    with context.db.transaction() as session:
        row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None
        return row


def busy(context: ServiceContext, advisor_id: str) -> list[Interval]:
    return sorted(i for row in objects(context, advisor_id).values() for i in row.busy_intervals())


def calendar(url: str, user: str = "anne") -> caldav.Calendar:
    return caldav.DAVClient(url=url, username=user, password=USERS[user]).calendar(url=url)


def test_busy_intervals_of_a_calendar_land_in_the_cache(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("review", at(WED, 10), at(WED, 11, 30)))
    radicale.put_event(
        "anne", USERS["anne"], url, event_ics("team", at(TUE, 9), at(TUE, 10), "RRULE:FREQ=WEEKLY;COUNT=3\r\n")
    )
    radicale.put_event(
        "anne", USERS["anne"], url, event_ics("long-ago", at(date(2025, 1, 6), 9), at(date(2025, 1, 6), 10))
    )
    advisor_id = add_advisor(context, url)
    offer = offer_payload(new_id(), [advisor_id])
    with context.db.transaction() as session:
        apply_offer(session, offer.envelope(ev.OFFER_PUBLISHED))

    outcome = sync_advisor(context, advisor_id, NOW)

    assert outcome.ok and outcome.changed and outcome.error is None
    assert outcome.affected_offer_ids == [offer.offer_id]
    assert set(objects(context, advisor_id)) == {"review", "team"}  # the 2025 event is outside the window
    assert busy(context, advisor_id) == [
        Interval(at(TUE, 9), at(TUE, 10)),
        Interval(at(WED, 10), at(WED, 11, 30)),
        Interval(at(TUE + timedelta(days=7), 9), at(TUE + timedelta(days=7), 10)),
        Interval(at(TUE + timedelta(days=14), 9), at(TUE + timedelta(days=14), 10)),
    ]
    state = advisor(context, advisor_id)
    assert state.last_success_at == NOW and state.last_attempt_at == NOW and state.last_error is None
    assert state.synced_window is not None and state.synced_window.start == at(TUE, 0)


def test_a_changed_event_is_expanded_again_and_an_unchanged_one_is_reused(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("moving", at(WED, 10), at(WED, 11)))
    radicale.put_event("anne", USERS["anne"], url, event_ics("steady", at(WED, 14), at(WED, 15)))
    advisor_id = add_advisor(context, url)
    sync_advisor(context, advisor_id, NOW)
    first = objects(context, advisor_id)

    event = calendar(url).event_by_uid("moving")
    event.data = event_ics("moving", at(WED, 12, 30), at(WED, 13, 30))
    event.save()
    later = NOW + timedelta(minutes=5)
    outcome = sync_advisor(context, advisor_id, later)

    second = objects(context, advisor_id)
    assert outcome.changed
    assert second["moving"].etag != first["moving"].etag
    assert second["moving"].busy_intervals() == [Interval(at(WED, 12, 30), at(WED, 13, 30))]
    assert second["moving"].synced_at == later
    assert second["steady"].synced_at == NOW, "an unchanged etag is not expanded again"
    assert sync_advisor(context, advisor_id, later + timedelta(minutes=5)).changed is False


def test_a_deleted_event_disappears_from_the_cache(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("cancelled-later", at(WED, 10), at(WED, 11)))
    advisor_id = add_advisor(context, url)
    sync_advisor(context, advisor_id, NOW)
    assert busy(context, advisor_id) == [Interval(at(WED, 10), at(WED, 11))]

    calendar(url).event_by_uid("cancelled-later").delete()
    outcome = sync_advisor(context, advisor_id, NOW + timedelta(minutes=5))

    assert outcome.changed
    assert objects(context, advisor_id) == {}
    assert busy(context, advisor_id) == []


def test_a_wrong_password_is_recorded_and_the_last_good_read_stays(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("meeting", at(WED, 10), at(WED, 11)))
    advisor_id = add_advisor(context, url)
    sync_advisor(context, advisor_id, NOW)

    with context.db.transaction() as session:  # staff changed the password to a wrong one
        apply_advisor_changed(
            session,
            advisor_changed(advisor_id, caldav_url=url, password="wrong", secret_keys=context.settings.secret_keys),
        )
    later = NOW + timedelta(minutes=5)
    outcome = sync_advisor(context, advisor_id, later)

    state = advisor(context, advisor_id)
    assert not outcome.ok and outcome.error
    assert state.last_error and "afviste" in state.last_error
    assert state.last_attempt_at == later and state.last_success_at == NOW
    assert busy(context, advisor_id) == [Interval(at(WED, 10), at(WED, 11))]
    assert "wrong" not in state.last_error and USERS["anne"] not in state.last_error


def test_an_unknown_calendar_or_an_unreachable_server_is_recorded_without_raising(
    context: ServiceContext, radicale: RadicaleServer
) -> None:
    missing = add_advisor(context, f"{radicale.url}anne/no-such-calendar/")
    unreachable = add_advisor(context, f"http://127.0.0.1:{free_port()}/anne/work/")

    for advisor_id in (missing, unreachable):
        outcome = sync_advisor(context, advisor_id, NOW)
        state = advisor(context, advisor_id)
        assert not outcome.ok
        assert state.last_error and state.last_success_at is None and state.last_attempt_at == NOW
    assert "svarer ikke" in (advisor(context, unreachable).last_error or "")


def test_an_advisor_without_a_calendar_counts_as_read_with_no_busy_time(context: ServiceContext) -> None:
    advisor_id = add_advisor(context, None, username=None, password=None)
    outcome = sync_advisor(context, advisor_id, NOW)
    assert outcome.ok and advisor(context, advisor_id).last_success_at == NOW
    assert busy(context, advisor_id) == []


def test_a_new_calendar_url_drops_the_cached_busy_time_until_it_is_read(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    old, new = new_calendar("anne"), new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], old, event_ics("old", at(WED, 10), at(WED, 11)))
    advisor_id = add_advisor(context, old)
    sync_advisor(context, advisor_id, NOW)
    with context.db.transaction() as session:
        apply_advisor_changed(
            session, advisor_changed(advisor_id, caldav_url=new, secret_keys=context.settings.secret_keys)
        )
    assert busy(context, advisor_id) == [] and advisor(context, advisor_id).last_success_at is None
    forgotten = advisor(context, advisor_id)  # what the old server supported says nothing of the new one
    assert (forgotten.sync_method, forgotten.sync_token, forgotten.ctag) == (None, None, None)
    sync_advisor(context, advisor_id, NOW)
    assert advisor(context, advisor_id).last_success_at == NOW
