"""Fixtures of the booking tests: a migrated database, the app with a settable clock,
and factories that feed the read models through the real event handler.

Every offer is for adults receiving unemployment benefit (``ADULT_ON_BENEFITS``) unless a
test gives other rules, and the citizens ``fictitious_cpr(0)`` to ``fictitious_cpr(24)``
are imported as such adults when the service starts; ``fictitious_cpr(99)`` is unknown.

Every request of ``service.client()`` is made as IT (``tests.identities.IT_KEY``: a machine
with the planner and administrator roles at every job centre), so the tests that send
``citizen.cpr`` act for a citizen as staff do. ``test_citizen_identity`` logs citizens in
at the embedded OpenID Connect provider (``oidc_provider``) instead."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apiflask import APIFlask
from sqlalchemy import func, select

from services.booking import consumer
from services.booking.app import create_app
from services.booking.db import migrate
from services.booking.models import Booking, OutboxMessage
from shared import events as ev
from shared.config import get_settings
from shared.cpr_vault import CprVault, vault_for_settings
from shared.service import ServiceContext
from shared.timeutil import utcnow
from tests.auth.conftest import oidc_provider
from tests.conftest import TEST_CPR_KEYS, make_settings
from tests.identities import ItClient

__all__ = ["oidc_provider"]  # the embedded OpenID Connect provider, for tests with citizen logins

CPH = ZoneInfo("Europe/Copenhagen")
TODAY = date(2026, 12, 7)  # a Monday; the citizen's booking day unless a test moves the clock
TOMORROW = TODAY + timedelta(days=1)
KNOWN_CITIZENS = 25
ADULT_ON_BENEFITS: dict[str, Any] = {
    "join": "and",
    "groups": [
        {
            "match": "all",
            "rules": [
                {"type": "contact_group", "condition": "eq", "value": "Dagpengemodtager"},
                {"type": "age", "condition": "gte", "value": 18},
            ],
        }
    ],
}


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """Local Copenhagen time on ``day``."""
    return datetime.combine(day, time(hh, mm), tzinfo=CPH)


def fictitious_cpr(n: int = 0) -> str:
    """A made-up CPR number (1 January 1990 + serial), different for each ``n``."""
    return f"010190{4000 + n:04d}"


@dataclass
class Clock:
    """The instant the app believes it is; tests move it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set_day(self, day: date, hh: int = 9) -> None:
        self.now = at(day, hh)


@dataclass
class BookingService:
    """The app under test plus ways to feed it events as the other services would."""

    app: APIFlask
    clock: Clock

    @property
    def context(self) -> ServiceContext:
        return self.app.extensions["planner"]  # type: ignore[no-any-return]

    @property
    def vault(self) -> CprVault:
        """The app's CPR vault: how its tables index and seal CPR numbers."""
        return vault_for_settings(self.context.settings)

    def client(self) -> Any:
        return self.app.test_client()

    def deliver(self, envelope: ev.Envelope) -> bool:
        return consumer.handle(self.context, envelope)

    def publish_offer(self, event_type: str = ev.OFFER_PUBLISHED, **overrides: Any) -> ev.OfferPayload:
        payload = offer_payload(**overrides)
        assert self.deliver(payload.envelope(event_type))
        return payload

    def compute(
        self,
        offer_id: str,
        slots: dict[str, list[datetime]],
        computed_at: datetime | None = None,
    ) -> ev.Envelope:
        """Deliver ``availability.computed`` with ``slots`` per advisor id (computed now by default)."""
        computed_at = computed_at or utcnow()
        payload = ev.AvailabilityPayload(
            offer_id=offer_id,
            computed_at=computed_at,
            window_start=at(TODAY, 0),
            window_end=at(TODAY + timedelta(days=71), 0),
            slots=[ev.BookableSlot(advisor_id=a, start=s) for a, starts in slots.items() for s in starts],
        )
        envelope = payload.envelope(ev.AVAILABILITY_COMPUTED)
        self.deliver(envelope)
        return envelope

    def times(self, offer_id: str, **query: str) -> list[dict[str, Any]]:
        response = self.client().get(f"/api/v1/offers/{offer_id}/times", query_string=query)
        assert response.status_code == 200, response.get_json()
        return list(response.get_json()["times"])

    def local_starts(self, offer_id: str, advisor_id: str | None = None, day: date | None = None) -> list[str]:
        """``"YYYY-MM-DD HH:MM"`` of the listed times (of one advisor / one day)."""
        result = []
        for item in self.times(offer_id):
            start = datetime.fromisoformat(item["start"]).astimezone(CPH)
            if advisor_id is not None and item.get("advisor_id") != advisor_id:
                continue
            if day is not None and start.date() != day:
                continue
            result.append(start.strftime("%Y-%m-%d %H:%M") if day is None else start.strftime("%H:%M"))
        return result

    def book(self, offer_id: str, start: datetime, n: int = 0, advisor_id: str | None = None) -> Any:
        body: dict[str, Any] = {"offer_id": offer_id, "start": start.isoformat(), "citizen": {"cpr": fictitious_cpr(n)}}
        if advisor_id is not None:
            body["advisor_id"] = advisor_id
        return self.client().post("/api/v1/bookings", json=body)

    def add_citizens(self, *numbers: int, **fields: Any) -> None:
        """Import ``fictitious_cpr(n)`` for each n through the API: adults on unemployment
        benefit unless ``fields`` say otherwise (a field set to None is left out)."""
        profiles = [citizen_profile(n, **fields) for n in numbers]
        response = self.client().post("/api/v1/citizens", json=profiles)
        assert response.status_code == 200, response.get_json()

    def citizen_times(self, offer_id: str, n: int = 0, **query: Any) -> Any:
        """POST /offers/{id}/times for citizen ``n`` (the response)."""
        body = {"citizen": {"cpr": fictitious_cpr(n)}, **query}
        return self.client().post(f"/api/v1/offers/{offer_id}/times", json=body)

    def eligible(self, n: int = 0) -> Any:
        """POST /eligible-offers for citizen ``n`` (the response)."""
        return self.client().post("/api/v1/eligible-offers", json={"citizen": {"cpr": fictitious_cpr(n)}})

    def count(self, model: type[Any]) -> int:
        with self.context.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def bookings(self) -> list[Booking]:
        with self.context.db.transaction() as session:
            return list(session.scalars(select(Booking).order_by(Booking.start_at)).all())

    def outbox(self) -> list[OutboxMessage]:
        with self.context.db.transaction() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.seq)).all())


def citizen_profile(n: int, **fields: Any) -> dict[str, Any]:
    """An import row for ``fictitious_cpr(n)``: an adult receiving unemployment benefit."""
    values = {"cpr": fictitious_cpr(n), "name": f"Borger {n}", "contact_group": "Dagpengemodtager", **fields}
    return {k: v for k, v in values.items() if v is not None}


def offer_payload(**overrides: Any) -> ev.OfferPayload:
    """An active individual offer, opened before TODAY, 30 min + 15 min reporting."""
    values: dict[str, Any] = {
        "offer_id": str(uuid.uuid4()),
        "job_centre_code": "10101",
        "name": "Jobsamtale",
        "description": "Samtale om job.",
        "conversation_type": 7,
        "variant": None,
        "meeting_form": "individual",
        "channel": "in_person",
        "place": "Torvet 1",
        "phone": None,
        "duration_minutes": 30,
        "reporting_minutes": 15,
        "start_minutes": [0, 30],
        "first_meeting_date": date(2026, 12, 1),
        "end_date": None,
        "rolling_weeks": None,
        "opens_on": date(2026, 12, 1),
        "timezone": "Europe/Copenhagen",
        "advisor_ids": [str(uuid.uuid4())],
        "citizen_may_choose_advisor": True,
        "accept_cancellation": True,
        "rebooking_days_before": 2,
        "active": True,
        "changed_at": at(date(2026, 12, 1), 12),
        "rules": ADULT_ON_BENEFITS,
    }
    values.update(overrides)
    return ev.OfferPayload.model_validate(values)


def daily_starts(first: date, days: int, hours: list[tuple[int, int]]) -> list[datetime]:
    """``hours`` on each of ``days`` days from ``first``."""
    return [at(first + timedelta(days=d), hh, mm) for d in range(days) for hh, mm in hours]


@pytest.fixture
def process_cpr_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``PLANNER_CPR_KEYS`` of the process settings (commands read them) are the tests' keys."""
    monkeypatch.setenv("PLANNER_CPR_KEYS", TEST_CPR_KEYS)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def booking_pg_url(create_database: Callable[[str], str]) -> str:
    url = create_database("booking")
    migrate(url)
    return url


def build_service(url: str, *, known_citizens: bool = True, citizens: Any = None, **settings: Any) -> BookingService:
    clock = Clock(at(TODAY, 9))
    app = create_app(
        make_settings(
            booking_database_url=url,
            broker_url="memory://",
            events_exchange=f"planner.test.{uuid.uuid4().hex[:10]}",
            **settings,
        ),
        clock=clock,
        citizens=citizens,
    )
    app.test_client_class = ItClient  # IT's key: staff acting for a citizen, at every centre
    service = BookingService(app, clock)
    if known_citizens:
        service.add_citizens(*range(KNOWN_CITIZENS))
    return service


@pytest.fixture
def service(booking_pg_url: str) -> Iterator[BookingService]:
    """The booking app on a fresh, migrated PostgreSQL database; today is TODAY 09:00."""
    built = build_service(booking_pg_url)
    yield built
    built.context.close()
