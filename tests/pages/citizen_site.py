"""A booking service for the citizen's pages: the browser login of ``tests.auth`` (sessions on
the real clock), the citizen's "today" on a fixed clock, offers and free times delivered as
the offers service and the calendar worker would send them, and Anna (``citizen-anna`` at the
test provider) imported as an adult on unemployment benefit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from services.booking import consumer
from services.booking.models import Booking
from shared import events as ev
from tests.auth.conftest import ANNA_CPR, BrowserService
from tests.booking.conftest import Clock, at, offer_payload
from tests.identities import ItClient
from tests.pages.conftest import LiveClock

BOOKING_TABLES = (
    "offer_view", "bookable_time", "availability_snapshot", "booking", "citizen_profile", "citizen_mail",
    "group_meeting_view",
)  # fmt: skip
NOT_ANNAS = {"join": "and", "groups": [{"match": "all", "rules": [
    {"type": "contact_group", "condition": "eq", "value": "Sygedagpengemodtager"},
]}]}  # fmt: skip


@dataclass
class CitizenSite:
    """The booking app with its browser login and ways to feed it offers and times."""

    service: BrowserService
    clock: Clock

    @property
    def app(self) -> Any:
        return self.service.app

    def publish(self, **overrides: Any) -> ev.OfferPayload:
        payload = offer_payload(**overrides)
        assert consumer.handle(self.service.context, payload.envelope(ev.OFFER_PUBLISHED))
        return payload

    def compute(self, offer: ev.OfferPayload, starts: dict[str, list[datetime]], first: date, last: date) -> None:
        """Deliver ``availability.computed``: ``starts`` per advisor id, for ``first``..``last``."""
        payload = ev.AvailabilityPayload(
            offer_id=offer.offer_id,
            computed_at=self.clock.now,
            window_start=at(first, 0),
            window_end=at(last + timedelta(days=1), 0),
            slots=[ev.BookableSlot(advisor_id=a, start=s) for a, ss in starts.items() for s in ss],
        )
        assert consumer.handle(self.service.context, payload.envelope(ev.AVAILABILITY_COMPUTED))

    def bookings(self) -> list[Booking]:
        with self.service.context.db.transaction() as session:
            return list(session.scalars(select(Booking).order_by(Booking.start_at)).all())


def build_citizen_site(build_browser_service: Callable[..., BrowserService], today: datetime) -> CitizenSite:
    """The site with an empty offer catalogue; ``today`` is the citizen's instant."""
    service = build_browser_service("booking", cookie_secure=False, clock=LiveClock())
    with service.context.db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(BOOKING_TABLES)}"))
    clock = Clock(today)
    service.app.extensions["booking.clock"] = clock
    anna = {"cpr": ANNA_CPR, "name": "Anna Borger", "contact_group": "Dagpengemodtager"}
    answer = ItClient(service.app).post("/api/v1/citizens", json=[anna])
    assert answer.status_code == 200, answer.get_json()
    return CitizenSite(service, clock)


def hold_through_pages(site: CitizenSite, client: Any, offer_id: str, start: datetime, **form: str) -> Any:
    """Fortsæt on the week page with ``start`` chosen: the answer (303 to the summary)."""
    data = {"start": start.isoformat(), "csrf_token": site.service.csrf_token(client), **form}
    return client.post(f"/mine-moedetilbud/{offer_id}/tider", data=data)


def book_through_pages(site: CitizenSite, client: Any, offer_id: str, start: datetime, **form: str) -> Any:
    """Choose ``start`` on the week page, then "Book mødet" on the summary: the last answer
    (303 to the receipt)."""
    held = hold_through_pages(site, client, offer_id, start, **form)
    assert held.status_code == 303, held.get_data(as_text=True)[:2000]
    return client.post(held.headers["Location"], data={"csrf_token": site.service.csrf_token(client)})


def two_advisors() -> list[str]:
    return [str(uuid.uuid4()), str(uuid.uuid4())]
