"""Incremental reads against a real Radicale: sync tokens, the CTag fallback, full resyncs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from services.calendar_sync.models import AdvisorCalendar
from services.calendar_sync.reading import CTAG, QUERY, SYNC_TOKEN
from services.calendar_sync.sync import sync_advisor
from services.demo.embedded_radicale import RadicaleServer
from shared.intervals import Interval
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import at, event_ics
from tests.calendar_sync.test_sync import NOW, WED, add_advisor, advisor, busy, calendar, objects


def force(context: ServiceContext, advisor_id: str, **values: object) -> None:
    with context.db.transaction() as session:
        row = session.get(AdvisorCalendar, advisor_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)


def three_events_then_edit(
    context: ServiceContext, radicale: RadicaleServer, url: str
) -> tuple[str, dict[str, object]]:
    """First load of three events; then one is added, one changed, one deleted."""
    for uid, hour in (("steady", 8), ("moving", 10), ("doomed", 14)):
        radicale.put_event("anne", USERS["anne"], url, event_ics(uid, at(WED, hour), at(WED, hour + 1)))
    advisor_id = add_advisor(context, url)
    assert sync_advisor(context, advisor_id, NOW).ok
    first = objects(context, advisor_id)
    assert set(first) == {"steady", "moving", "doomed"}

    radicale.put_event("anne", USERS["anne"], url, event_ics("added", at(WED, 16), at(WED, 17)))
    moving = calendar(url).event_by_uid("moving")
    moving.data = event_ics("moving", at(WED, 11), at(WED, 12))
    moving.save()
    calendar(url).event_by_uid("doomed").delete()
    return advisor_id, first  # type: ignore[return-value]


EXPECTED = [
    Interval(at(WED, 8), at(WED, 9)),
    Interval(at(WED, 11), at(WED, 12)),
    Interval(at(WED, 16), at(WED, 17)),
]


def test_the_server_offers_sync_tokens_and_the_advisor_remembers_them(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id = add_advisor(context, url)
    sync_advisor(context, advisor_id, NOW)
    state = advisor(context, advisor_id)
    assert state.sync_method == SYNC_TOKEN and state.sync_token and state.ctag


@pytest.mark.parametrize("method", [SYNC_TOKEN, CTAG])
def test_an_incremental_sync_expands_only_the_added_and_changed_objects(
    method: str, context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id, _first = three_events_then_edit(context, radicale, url)
    force(context, advisor_id, sync_method=method)
    later = NOW + timedelta(minutes=5)

    outcome = sync_advisor(context, advisor_id, later)

    after = objects(context, advisor_id)
    assert outcome.ok and outcome.changed
    assert set(after) == {"steady", "moving", "added"}
    assert after["steady"].synced_at == NOW, "the unchanged object is not expanded again"
    assert after["moving"].synced_at == later and after["added"].synced_at == later
    assert busy(context, advisor_id) == EXPECTED
    assert advisor(context, advisor_id).sync_method == method
    assert sync_advisor(context, advisor_id, later + timedelta(minutes=5)).changed is False


def test_an_invalid_sync_token_means_a_full_resync_with_correct_data(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id, _first = three_events_then_edit(context, radicale, url)
    force(context, advisor_id, sync_token="http://radicale.org/ns/sync/" + "0" * 64)
    later = NOW + timedelta(minutes=5)

    outcome = sync_advisor(context, advisor_id, later)

    state = advisor(context, advisor_id)
    assert outcome.ok and outcome.changed and state.last_error is None
    assert busy(context, advisor_id) == EXPECTED
    assert state.sync_method == SYNC_TOKEN and state.sync_token and "0" * 64 not in state.sync_token
    assert state.last_success_at == later


def test_the_plain_query_fallback_reads_the_window_every_time(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id, _first = three_events_then_edit(context, radicale, url)
    force(context, advisor_id, sync_method=QUERY)
    later = NOW + timedelta(minutes=5)

    sync_advisor(context, advisor_id, later)

    after = objects(context, advisor_id)
    assert busy(context, advisor_id) == EXPECTED
    assert after["steady"].synced_at == NOW, "an unchanged ETag is not expanded again"
    assert advisor(context, advisor_id).sync_method == QUERY


def test_a_new_day_reads_the_whole_window_again(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = new_calendar("anne")
    advisor_id = add_advisor(context, url)
    far = WED + timedelta(days=38)  # beyond today's window, inside tomorrow's
    radicale.put_event("anne", USERS["anne"], url, event_ics("far", at(far, 9), at(far, 10)))
    sync_advisor(context, advisor_id, NOW)
    assert objects(context, advisor_id) == {}

    sync_advisor(context, advisor_id, NOW + timedelta(days=1))

    assert set(objects(context, advisor_id)) == {"far"}
