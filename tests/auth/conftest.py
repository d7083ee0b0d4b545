"""A real OpenID Connect provider on loopback (the demo's embedded one) with its users,
this system's two client registrations at it, and helpers that log in as a person would."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from apiflask import APIFlask
from flask import render_template_string
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from services.booking.app import build_booking_context
from services.booking.app import create_app as create_booking_app
from services.booking.db import migrate as migrate_booking
from services.booking.models import PendingLogin as BookingPendingLogin
from services.booking.models import RateLimit as BookingRateLimit
from services.booking.models import WebSession as BookingSession
from services.demo.oidc_provider import EmbeddedOidcProvider, User, start_oidc_provider
from services.offers.app import create_app as create_offers_app
from services.offers.db import migrate as migrate_offers
from services.offers.models import OutboxMessage as OffersOutbox
from services.offers.models import PendingLogin as OffersPendingLogin
from services.offers.models import RateLimit as OffersRateLimit
from services.offers.models import WebSession as OffersSession
from shared.auth.access import Action
from shared.auth.clients import OidcClient
from shared.auth.discovery import OidcProvider
from shared.auth.grants import parse_group_grants
from shared.auth.principal import Citizen, PrincipalKind, StaffMember
from shared.auth.sessions import SessionStore
from shared.auth.web import SESSION_COOKIE, current_principal, public, requires
from shared.rate_limit import RateLimiter
from shared.service import ServiceContext, build_context
from shared.timeutil import utcnow
from tests.conftest import make_settings

CPR_CLAIM = "https://data.gov.dk/model/core/eid/cprNumber"
ANNA_CPR = "1502893427"  # fictitious; 15 February 1989
BO_CPR = "0101904002"  # fictitious; tests.booking.conftest.fictitious_cpr(2)
API_AUDIENCE = "jobcenter-planner-api"
GROUP_ROLES = (
    "grp-planners-x=planner:10101;grp-readers-y=reader:20202;grp-admins-x=administrator:10101;"
    "grp-national=administrator:*"
)

USERS = [
    User(sub="citizen-anna", claims={CPR_CLAIM: ANNA_CPR, "name": "Anna Borger"}),
    User(sub="citizen-no-cpr", claims={"name": "Uden CPR"}),
    User(sub="citizen-bo", claims={CPR_CLAIM: BO_CPR, "name": "Bo Borger"}),
    User(sub="staff-pia", claims={"name": "Pia Planlægger", "groups": ["grp-planners-x", "grp-readers-y", "other"]}),
    User(sub="staff-nogroups", claims={"name": "Ny Medarbejder"}),
    User(sub="staff-ada", claims={"name": "Ada Administrator", "groups": ["grp-admins-x", "grp-readers-y"]}),
    User(sub="staff-nina", claims={"name": "Nina National", "groups": ["grp-national"]}),  # every centre's lists
]


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[EmbeddedOidcProvider]:
    provider = start_oidc_provider(USERS, access_token_audience=API_AUDIENCE)
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def provider(oidc_provider: EmbeddedOidcProvider) -> OidcProvider:
    """This system's view of the provider, with fresh caches for each test."""
    return OidcProvider(oidc_provider.issuer, timeout=5.0, max_age=3600)


@pytest.fixture
def citizen_client(oidc_provider: EmbeddedOidcProvider) -> OidcClient:
    return OidcClient(
        kind=PrincipalKind.CITIZEN,
        issuer=oidc_provider.issuer,
        client_id="planner-citizens",
        client_secret="citizen-secret",
        cpr_claim=CPR_CLAIM,
    )


@pytest.fixture
def staff_client(oidc_provider: EmbeddedOidcProvider) -> OidcClient:
    return OidcClient(
        kind=PrincipalKind.STAFF,
        issuer=oidc_provider.issuer,
        client_id="planner-staff",
        client_secret="staff-secret",
        scopes=("openid", "profile"),
        group_claim="groups",
        group_grants=parse_group_grants(GROUP_ROLES),
    )


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


# --- The services' browser login, sessions and rate limits (test_login_routes, test_sessions, ...) ---

STAFF_SECRET, CITIZEN_SECRET = "staff-secret", "citizen-secret"
WHOAMI, ECHO, FORM = "/test/whoami", "/test/echo", "/test/form"
BROWSER_TABLES = ("web_session", "pending_login", "rate_limit")


@dataclass
class MovableClock:
    """The instant a session store or rate limiter believes it is; tests move it."""

    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class BrowserService:
    """One service app (offers: staff; booking: citizens) on its own database, with a
    movable clock, and the ways a browser uses it. ``/test/whoami`` needs an identity and
    says who it is; ``/test/echo`` is a POST that needs one; ``/test/form`` renders the
    template global ``csrf_token()`` as a form would."""

    app: APIFlask
    context: ServiceContext
    sessions: SessionStore
    limiter: RateLimiter
    clock: MovableClock
    oidc: EmbeddedOidcProvider

    def client(self, ip: str = "127.0.0.1") -> FlaskClient:
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = ip
        return client

    def start_login(self, client: FlaskClient, next_path: str | None = None) -> str:
        """``GET /login``: the provider's authorization URL it redirects to."""
        response = client.get("/login", query_string={"next": next_path} if next_path else None)
        assert response.status_code == 302, response.get_data(as_text=True)
        return str(response.headers["Location"])

    def callback_at_provider(self, client: FlaskClient, sub: str, next_path: str | None = None) -> str:
        """Start a login in ``client`` and log in as ``sub`` at the provider: the callback path and query."""
        callback = self.oidc.log_in_as(self.start_login(client, next_path), sub)
        return local(callback)

    def log_in(self, client: FlaskClient, sub: str, next_path: str | None = None) -> TestResponse:
        """The whole login as a browser does it; returns the callback's answer."""
        return client.get(self.callback_at_provider(client, sub, next_path))

    def whoami(self, client: FlaskClient) -> TestResponse:
        return client.get(WHOAMI)

    def csrf_token(self, client: FlaskClient) -> str:
        """The token a page's form would carry."""
        return client.get(FORM).get_data(as_text=True)

    def rows(self, table: str, where: str = "TRUE") -> list[dict[str, Any]]:
        with self.context.db.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table} WHERE {where}"))]

    def logged_in_rows(self) -> list[dict[str, Any]]:
        return self.rows("web_session", "principal IS NOT NULL")


def cookie_of(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE)
    return None if cookie is None else cookie.value


def local(url: str) -> str:
    """An absolute URL's path and query, as the test client takes them."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def session_cookies(response: TestResponse) -> list[str]:
    """The ``Set-Cookie`` headers of the session cookie in ``response``."""
    return [value for value in response.headers.getlist("Set-Cookie") if value.startswith(f"{SESSION_COOKIE}=")]


def _add_test_routes(app: APIFlask) -> None:
    @app.get(WHOAMI)
    @app.doc(hide=True)
    @requires(Action.READ_OFFERS, Action.CITIZEN_SELF_SERVICE)
    def test_whoami() -> dict[str, Any]:
        principal = current_principal()
        if isinstance(principal, Citizen):
            return {"kind": "citizen", "subject": principal.subject}
        if isinstance(principal, StaffMember):
            return {"kind": "staff", "user_id": principal.user_id, "grants": sorted(map(str, principal.grants))}
        return {"kind": "machine"}

    @app.post(ECHO)
    @app.doc(hide=True)
    @requires(Action.READ_OFFERS, Action.CITIZEN_SELF_SERVICE)
    def test_echo() -> dict[str, Any]:
        return {"done": True}

    @app.get(FORM)
    @app.doc(hide=True)
    @public
    def test_form() -> str:
        return render_template_string("{{ csrf_token() }}")


@pytest.fixture(scope="session")
def browser_databases(create_database: Callable[[str], str]) -> dict[str, str]:
    """A migrated offers and booking database for the browser tests (their tables emptied per app)."""
    offers_url, booking_url = create_database("auth_offers"), create_database("auth_booking")
    migrate_offers(offers_url)
    migrate_booking(booking_url)
    return {"offers": offers_url, "booking": booking_url}


BuildBrowserService = Callable[..., BrowserService]


@pytest.fixture
def build_browser_service(
    browser_databases: dict[str, str], oidc_provider: EmbeddedOidcProvider
) -> Iterator[BuildBrowserService]:
    """Factory: ``build("offers" | "booking", empty=True, clock=None, provider=True, **settings)``.

    Offers logs staff in, booking citizens, both at the embedded provider (unless
    ``provider`` is false). ``empty`` empties the session and rate-limit tables first (a
    second "replica" on the same database passes ``empty=False``). Logins are not rate
    limited unless ``login_rate_limit`` is given."""
    built: list[BrowserService] = []

    def build(
        service: str, *, empty: bool = True, clock: MovableClock | None = None, provider: bool = True, **overrides: Any
    ) -> BrowserService:
        url = browser_databases[service]
        clock = clock or MovableClock()
        values: dict[str, Any] = {"broker_url": "memory://", "login_rate_limit": "10000/60"}
        if service == "offers":
            values |= {"offers_database_url": url}
            if provider:
                values |= {
                    "staff_oidc_issuer": oidc_provider.issuer,
                    "staff_oidc_client_id": "planner-staff",
                    "staff_oidc_client_secret": STAFF_SECRET,
                    "staff_group_roles": GROUP_ROLES,
                }
        else:
            values |= {"booking_database_url": url, "events_exchange": f"planner.test.{uuid.uuid4().hex[:10]}"}
            if provider:
                values |= {
                    "citizen_oidc_issuer": oidc_provider.issuer,
                    "citizen_oidc_client_id": "planner-citizens",
                    "citizen_oidc_client_secret": CITIZEN_SECRET,
                    "citizen_oidc_cpr_claim": CPR_CLAIM,
                }
        settings = make_settings(**(values | overrides))
        if service == "offers":
            context = build_context(settings, url, OffersOutbox)
            sessions = SessionStore.from_settings(context.db, OffersSession, OffersPendingLogin, settings, clock)
            limiter = RateLimiter(context.db, OffersRateLimit, clock=clock)
            app = create_offers_app(settings, context=context, sessions=sessions, rate_limiter=limiter)
        else:
            context = build_booking_context(settings)
            sessions = SessionStore.from_settings(context.db, BookingSession, BookingPendingLogin, settings, clock)
            limiter = RateLimiter(context.db, BookingRateLimit, clock=clock)
            app = create_booking_app(settings, context=context, sessions=sessions, rate_limiter=limiter)
        if empty:
            with context.db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {', '.join(BROWSER_TABLES)}"))
        _add_test_routes(app)
        result = BrowserService(app, context, sessions, limiter, clock, oidc_provider)
        built.append(result)
        return result

    yield build
    for service in built:
        service.context.close()
