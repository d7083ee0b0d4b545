"""An offers service for the staff's pages: the browser login of ``tests.auth`` (Pia
Planlægger, ``staff-pia``: planner at 10101, reader at 20202), and the admin data and offers
of three job centres made through the JSON API as IT (10101 and 20202 Pia sees, 30303 not)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import text

from services.offers.models import Base
from tests.auth.conftest import BrowserService
from tests.identities import ItClient
from tests.offers.conftest import CALENDAR_HOSTS_ALLOWED, Api, reseed_reference_lists
from tests.pages.conftest import LiveClock

PIA = "staff-pia"
SICK_PAY = {"join": "and", "groups": [{"match": "all", "rules": [
    {"type": "contact_group", "condition": "eq", "value": "Sygedagpengemodtager"},
]}]}  # fmt: skip


@dataclass
class StaffSite:
    """The offers app with its browser login, and the centres, teams and advisors made."""

    service: BrowserService
    api: Api
    centres: dict[str, dict[str, Any]] = field(default_factory=dict)
    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    advisors: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def app(self) -> Any:
        return self.service.app

    def centre(self, code: str, team: str) -> None:
        """A job centre with a team and an advisor."""
        centre = self.api.centre(code=code, name=f"Jobcenter {code}")
        self.centres[code] = centre
        self.teams[code] = self.api.team(centre, name=team)
        self.advisors[code] = self.api.advisor(
            centre,
            self.teams[code],
            name=f"Vejleder {code}",
            caldav_url=None,
            caldav_username=None,
            caldav_password=None,
        )

    def offer(self, code: str, **overrides: Any) -> dict[str, Any]:
        return self.api.offer(self.teams[code], [self.advisors[code]], **overrides)

    def logged_in(self, sub: str = PIA) -> Any:
        client = self.service.client()
        self.service.log_in(client, sub)
        return client


def build_staff_site(build_browser_service: Callable[..., BrowserService]) -> StaffSite:
    """The site with three centres (a team "Team Øst"/"Team Vest"/"Team Syd" and an advisor
    each) and no offers."""
    service = build_browser_service(
        "offers",
        cookie_secure=False,
        clock=LiveClock(),
        calendar_hosts_allowed=CALENDAR_HOSTS_ALLOWED,
        secret_keys=Fernet.generate_key().decode(),  # calendar passwords typed on the advisor's page
    )
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "offer_list_version")
    with service.context.db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        reseed_reference_lists(connection)
    site = StaffSite(service, Api(ItClient(service.app)))
    for code, team in (("10101", "Team Øst"), ("20202", "Team Vest"), ("30303", "Team Syd")):
        site.centre(code, team)
    return site


@dataclass
class WithBooking:
    """The staff site asking a booking service, served over HTTP, for participants; the
    offer "Jobsamtale" (10101) booked there by the citizens ``booked`` names (n: name)."""

    site: StaffSite
    booking: Any  # tests.pages.citizen_site.CitizenSite
    offer: dict[str, Any]
    booking_ids: dict[str, str]


def with_booking(site: StaffSite, booking: Any, booking_url: str, people: dict[int, str]) -> WithBooking:
    """Point the staff site at ``booking_url`` (with IT's key), publish the offer there, and
    book citizen ``fictitious_cpr(n)`` named ``people[n]`` at 09:00, 10:00, ... on TODAY + 2
    (14:00 that day and 09:00 a week later stay free)."""
    from datetime import date, timedelta

    from services.offers.participants.booking_api import BookingApi
    from services.offers.participants.view import BOOKING_API
    from tests.booking.conftest import TODAY, at, citizen_profile, fictitious_cpr
    from tests.identities import IT_KEY

    site.app.extensions[BOOKING_API] = BookingApi(booking_url, IT_KEY.key, 5)
    offer = site.offer("10101", name="Jobsamtale", first_meeting_date=TODAY.isoformat())
    advisor = site.advisors["10101"]["id"]
    payload = booking.publish(offer_id=offer["id"], job_centre_code="10101", advisor_ids=[advisor])
    day = TODAY + timedelta(days=2)
    starts = [at(day, 9 + i) for i in range(len(people))]
    free = [at(day, 14), at(day + timedelta(days=7), 9)]  # left free: one in this week, one in the next
    booking.compute(payload, {advisor: starts + free}, TODAY, date(2027, 2, 1))
    staff = ItClient(booking.app)
    profiles = [citizen_profile(n, name=name, email=f"borger{n}@example.org") for n, name in people.items()]
    imported = staff.post("/api/v1/citizens", json=profiles)
    assert imported.status_code == 200, imported.get_json()
    ids = {}
    for (n, name), start in zip(people.items(), starts, strict=True):
        body = {"offer_id": offer["id"], "start": start.isoformat(), "citizen": {"cpr": fictitious_cpr(n)}}
        answer = staff.post("/api/v1/bookings", json=body)
        assert answer.status_code == 201, answer.get_json()
        ids[name] = answer.get_json()["id"]
    return WithBooking(site, booking, offer, ids)
