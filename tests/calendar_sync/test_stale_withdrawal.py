"""When an advisor's calendar can no longer be read for longer than the bound, the sync
that notices it makes their offers be computed again, so their times are withdrawn at
once (not left standing in booking); a good read later brings them back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from services.calendar_sync.compute import compute_offer_availability
from services.calendar_sync.consumer import apply_offer
from services.calendar_sync.models import AdvisorCalendar
from services.calendar_sync.sync import sync_advisor
from services.demo.embedded_radicale import RadicaleServer
from shared import events as ev
from shared.service import ServiceContext
from tests.calendar_sync.conftest import USERS
from tests.calendar_sync.factories import at, event_ics, new_id, offer_payload
from tests.calendar_sync.test_sync import NOW, WED, add_advisor
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
