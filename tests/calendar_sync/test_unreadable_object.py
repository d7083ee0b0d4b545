"""An unreadable calendar object at sync level, against a real Radicale.

Radicale refuses to store a broken object through PUT, so these tests write the object
straight into Radicale's storage folder (``multifilesystem``:
``<filesystem_folder>/collection-root/<user>/<calendar>/<name>.ics``), as a broken client
with file access or a damaged disk would. What Radicale 3.9 then does depends on what it
can parse itself (see ``radicale/storage/multifilesystem/get.py``):

* An object Radicale can parse but the worker cannot expand (here: an unknown
  ``X-WR-TIMEZONE``) is served like any other. The sync goes on with the other objects,
  the advisor's ``last_error`` names the object and staff are told through the health event.
* An object Radicale cannot parse itself is, by default (``[storage] skip_broken_item =
  True``), skipped by Radicale in every answer: calendar-query, PROPFIND, sync-collection,
  CTag and GET (404); it only logs "Skip broken item". The worker never sees it, so it can
  neither count nor report it; the sync goes on with the other objects.
* With ``skip_broken_item = False`` Radicale answers every request that lists the
  calendar (calendar-query, PROPFIND depth 0 and 1, sync-collection) with HTTP 500; only a
  GET or multiget of another object's href works. No request can list the calendar, so no
  fallback can either: the read fails, the failure is recorded, and the busy time of the
  last good read stays in use (until the advisor becomes stale).

Every case ends with the object repaired on disk and the next sync clearing the error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from radicale import config as radicale_config

import services.demo.embedded_radicale as embedded_radicale
from services.calendar_sync.caldav_client import normalise_href
from services.calendar_sync.compute import compute_offer_availability
from services.calendar_sync.consumer import apply_offer
from services.calendar_sync.reading import CTAG, SYNC_TOKEN
from services.calendar_sync.sync import sync_advisor
from services.demo.embedded_radicale import RadicaleServer, start_radicale
from shared import events as ev
from shared.intervals import Interval
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import at, event_ics, local_hhmm, new_id, offer_payload
from tests.calendar_sync.test_conflicts_and_health import outbox
from tests.calendar_sync.test_incremental_sync import force
from tests.calendar_sync.test_sync import NOW, WED, add_advisor, advisor, busy, objects

GOOD = Interval(at(WED, 10), at(WED, 11))
LATER = Interval(at(WED, 13), at(WED, 14))

UNREADABLE_TO_US = event_ics("zone-less@example.org", LATER.start, LATER.end).replace(
    "PRODID:-//planner tests//EN\r\n", "PRODID:-//planner tests//EN\r\nX-WR-TIMEZONE:Nowhere/Nothing\r\n"
)
"""Valid iCalendar for Radicale; the worker's expansion fails on the unknown zone."""

UNREADABLE_TO_RADICALE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:half@example.org\r\n"
    "DTSTART;TZID=Europe/Copenhagen:2026-12-02 13:00\r\nDTEND:soon\r\nEND:VEVENT\r\n"
)
"""Not iCalendar at all (a cut-off file): Radicale cannot parse it either."""

REPAIRED = event_ics("zone-less@example.org", LATER.start, LATER.end)

# Working 08:00-12:00 and 12:30-15:30; a start needs 30 + 15 free minutes (see test_compute).
STARTS_WITH_GOOD = ["08:00", "08:30", "09:00", "11:00", "12:30", "13:00", "13:30", "14:00", "14:30"]
STARTS_WITH_BOTH = ["08:00", "08:30", "09:00", "11:00", "14:00", "14:30"]


def object_file(radicale: RadicaleServer, calendar_url: str, name: str) -> Path:
    """Where Radicale's multifilesystem storage keeps object ``name`` of the calendar."""
    collection = urlsplit(calendar_url).path.strip("/")
    return radicale.storage_dir / "collections" / "collection-root" / collection / name


def write_object(path: Path, text: str) -> None:
    """Write ``text`` as the object's file behind Radicale's back, with a new mtime.

    Radicale 3.9 checks its item cache by content hash; the explicit, distinct mtime keeps
    the change visible also with ``use_mtime_and_size_for_item_cache`` (no sleeping).
    """
    old_mtime = path.stat().st_mtime_ns if path.exists() else 0
    path.write_bytes(text.encode("utf-8"))
    mtime = max(old_mtime + 10_000_000_000, path.stat().st_mtime_ns)
    os.utime(path, ns=(mtime, mtime))


def publish_offer(context: ServiceContext, advisor_id: str) -> str:
    offer = offer_payload(new_id(), [advisor_id], end_date=WED + timedelta(days=2))
    with context.db.transaction() as session:
        apply_offer(session, offer.envelope(ev.OFFER_PUBLISHED))
    return offer.offer_id


def wednesday_starts(
    context: ServiceContext, offer_id: str, advisor_id: str, now: datetime
) -> tuple[list[str], list[str]]:
    """The advisor's starts on WED (local HH:MM) and the withheld advisors, as of ``now``."""
    with context.db.transaction() as session:
        payload = compute_offer_availability(session, context.settings, offer_id, now)
    assert payload is not None
    found = [slot.start for slot in payload.slots if slot.advisor_id == advisor_id]
    return local_hhmm(found, WED), payload.withheld_advisor_ids


def last_health(context: ServiceContext, advisor_id: str) -> dict[str, Any]:
    return [p for p in outbox(context, ev.CALENDAR_HEALTH_CHANGED) if p["advisor_id"] == advisor_id][-1]


def good_calendar(radicale: RadicaleServer, new_calendar: Callable[[str], str]) -> str:
    url = new_calendar("anne")
    radicale.put_event("anne", USERS["anne"], url, event_ics("good@example.org", GOOD.start, GOOD.end))
    return url


def test_an_object_only_the_worker_cannot_read_is_reported_and_the_other_events_count(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = good_calendar(radicale, new_calendar)
    broken = object_file(radicale, url, "unreadable.ics")
    write_object(broken, UNREADABLE_TO_US)
    advisor_id = add_advisor(context, url)
    offer_id = publish_offer(context, advisor_id)

    outcome = sync_advisor(context, advisor_id, NOW)

    state = advisor(context, advisor_id)
    href = f"{url}unreadable.ics"
    assert outcome.ok and outcome.changed
    assert busy(context, advisor_id) == [GOOD], "the good event counts; the unreadable one is not guessed"
    assert state.last_success_at == NOW
    assert state.last_error is not None and href in state.last_error
    assert "1 kalenderobjekt(er) kunne ikke læses" in state.last_error
    assert f"{href}: kalenderobjektet bruger en ukendt tidszone" in state.last_error, "the kind of problem"
    assert "Nowhere/Nothing" not in state.last_error, "the object's content is not quoted"
    assert outcome.error == state.last_error
    health = last_health(context, advisor_id)
    assert health["last_error"] == state.last_error and health["stale"] is False
    assert wednesday_starts(context, offer_id, advisor_id, NOW) == (STARTS_WITH_GOOD, [])

    write_object(broken, REPAIRED)
    repaired = sync_advisor(context, advisor_id, NOW + timedelta(minutes=5))

    assert repaired.ok and repaired.changed and repaired.error is None
    assert advisor(context, advisor_id).last_error is None
    assert busy(context, advisor_id) == [GOOD, LATER]
    assert last_health(context, advisor_id)["last_error"] is None
    assert wednesday_starts(context, offer_id, advisor_id, NOW + timedelta(minutes=5)) == (STARTS_WITH_BOTH, [])


@pytest.mark.parametrize("method", [SYNC_TOKEN, CTAG])
def test_an_unreadable_object_added_after_the_first_load_is_reported_by_the_incremental_sync(
    method: str, context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = good_calendar(radicale, new_calendar)
    advisor_id = add_advisor(context, url)
    assert sync_advisor(context, advisor_id, NOW).ok
    force(context, advisor_id, sync_method=method)
    broken = object_file(radicale, url, "unreadable.ics")
    write_object(broken, UNREADABLE_TO_US)
    later = NOW + timedelta(minutes=5)

    outcome = sync_advisor(context, advisor_id, later)

    state = advisor(context, advisor_id)
    assert outcome.ok and outcome.changed
    assert state.sync_method == method, "still incremental, no fallback to a full load"
    assert objects(context, advisor_id)["good@example.org"].synced_at == NOW, "the good object is not read again"
    assert busy(context, advisor_id) == [GOOD]
    assert state.last_error is not None and f"{url}unreadable.ics" in state.last_error
    assert last_health(context, advisor_id)["last_error"] == state.last_error

    write_object(broken, REPAIRED)
    repaired = sync_advisor(context, advisor_id, later + timedelta(minutes=5))

    assert repaired.ok and repaired.error is None
    assert advisor(context, advisor_id).last_error is None
    assert busy(context, advisor_id) == [GOOD, LATER]
    assert last_health(context, advisor_id)["last_error"] is None


@pytest.mark.timeout(60)
def test_a_rule_that_would_repeat_forever_is_reported_instead_of_stopping_the_sync(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = good_calendar(radicale, new_calendar)
    endless = event_ics("endless@example.org", LATER.start, LATER.end, "RRULE:FREQ=DAILY;INTERVAL=0\r\n")
    href = normalise_href(url, radicale.put_event("anne", USERS["anne"], url, endless))  # stored and served
    advisor_id = add_advisor(context, url)

    outcome = sync_advisor(context, advisor_id, NOW)

    state = advisor(context, advisor_id)
    assert outcome.ok and busy(context, advisor_id) == [GOOD]
    assert state.last_error is not None and href in state.last_error and "INTERVAL" in state.last_error


def test_an_object_radicale_cannot_parse_is_hidden_by_radicale_and_the_sync_goes_on(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = good_calendar(radicale, new_calendar)
    broken = object_file(radicale, url, "half.ics")
    write_object(broken, UNREADABLE_TO_RADICALE)
    advisor_id = add_advisor(context, url)
    offer_id = publish_offer(context, advisor_id)

    outcome = sync_advisor(context, advisor_id, NOW)

    # Radicale (skip_broken_item = True, the default) leaves the object out of every answer
    # and only logs it: the worker cannot see it, so there is nothing it could report.
    assert outcome.ok and outcome.error is None
    assert set(objects(context, advisor_id)) == {"good@example.org"}
    assert busy(context, advisor_id) == [GOOD]
    assert wednesday_starts(context, offer_id, advisor_id, NOW) == (STARTS_WITH_GOOD, [])

    write_object(broken, REPAIRED)  # repaired: Radicale serves it, the incremental sync reads it
    repaired = sync_advisor(context, advisor_id, NOW + timedelta(minutes=5))

    assert repaired.ok and repaired.changed and repaired.error is None
    assert advisor(context, advisor_id).sync_method == SYNC_TOKEN
    assert busy(context, advisor_id) == [GOOD, LATER]


def test_a_known_object_radicale_can_no_longer_parse_looks_deleted_until_it_is_repaired(
    context: ServiceContext, radicale: RadicaleServer, new_calendar: Callable[[str], str]
) -> None:
    url = good_calendar(radicale, new_calendar)
    damaged = normalise_href(url, radicale.put_event("anne", USERS["anne"], url, REPAIRED))
    advisor_id = add_advisor(context, url)
    assert sync_advisor(context, advisor_id, NOW).ok
    assert busy(context, advisor_id) == [GOOD, LATER]
    path = object_file(radicale, url, damaged.rsplit("/", 1)[1])
    write_object(path, UNREADABLE_TO_RADICALE)

    outcome = sync_advisor(context, advisor_id, NOW + timedelta(minutes=5))

    # Radicale's sync-collection reports the href as gone (404), exactly as for a deletion.
    assert outcome.ok and outcome.error is None
    assert busy(context, advisor_id) == [GOOD]

    write_object(path, REPAIRED)
    assert sync_advisor(context, advisor_id, NOW + timedelta(minutes=10)).ok
    assert busy(context, advisor_id) == [GOOD, LATER]


@pytest.fixture(scope="module")
def strict_radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    """A Radicale that fails on a broken object instead of skipping it (skip_broken_item = False)."""
    plain = embedded_radicale.radicale_configuration

    def strict(*args: Any) -> radicale_config.Configuration:
        configuration = plain(*args)
        configuration.update({"storage": {"skip_broken_item": "False"}}, "unreadable-object tests")
        return configuration

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedded_radicale, "radicale_configuration", strict)
        server = start_radicale(tmp_path_factory.mktemp("strict-radicale"), USERS)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("method", [SYNC_TOKEN, CTAG])
def test_a_server_failing_on_a_broken_object_keeps_the_last_busy_time_and_tells_staff(
    method: str, context: ServiceContext, strict_radicale: RadicaleServer
) -> None:
    radicale = strict_radicale
    url = radicale.create_calendar("anne", USERS["anne"], f"strict-{new_id()[:8]}")
    radicale.put_event("anne", USERS["anne"], url, event_ics("good@example.org", GOOD.start, GOOD.end))
    other_url = radicale.create_calendar("anne", USERS["anne"], f"other-{new_id()[:8]}")
    advisor_id, other_id = add_advisor(context, url), add_advisor(context, other_url)
    offer_id = publish_offer(context, advisor_id)
    assert sync_advisor(context, advisor_id, NOW).ok
    force(context, advisor_id, sync_method=method)
    broken = object_file(radicale, url, "half.ics")
    write_object(broken, UNREADABLE_TO_RADICALE)
    later = NOW + timedelta(minutes=5)

    outcome = sync_advisor(context, advisor_id, later)

    state = advisor(context, advisor_id)
    assert not outcome.ok and outcome.error and "HTTP 500" in outcome.error
    assert state.last_error == outcome.error and state.last_success_at == NOW
    assert busy(context, advisor_id) == [GOOD], "the busy time of the last good read stays"
    health = last_health(context, advisor_id)
    assert health["last_error"] == state.last_error and health["stale"] is False
    assert wednesday_starts(context, offer_id, advisor_id, later) == (STARTS_WITH_GOOD, [])
    assert sync_advisor(context, other_id, later).ok, "other calendars on the server sync as before"

    write_object(broken, REPAIRED)
    repaired = sync_advisor(context, advisor_id, later + timedelta(minutes=5))

    assert repaired.ok and repaired.error is None
    assert advisor(context, advisor_id).last_error is None
    assert busy(context, advisor_id) == [GOOD, LATER]
    assert last_health(context, advisor_id)["last_error"] is None
