"""An offers service for the staff's pages: the browser login of ``tests.auth`` (Pia
Planlægger, ``staff-pia``: planner at 10101, reader at 20202), and the admin data and offers
of three job centres made through the JSON API as IT (10101 and 20202 Pia sees, 30303 not)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
        "offers", cookie_secure=False, clock=LiveClock(), calendar_hosts_allowed=CALENDAR_HOSTS_ALLOWED
    )
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "offer_list_version")
    with service.context.db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        reseed_reference_lists(connection)
    site = StaffSite(service, Api(ItClient(service.app)))
    for code, team in (("10101", "Team Øst"), ("20202", "Team Vest"), ("30303", "Team Syd")):
        site.centre(code, team)
    return site
