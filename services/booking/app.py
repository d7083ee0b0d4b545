"""The booking service's app factory (the citizen API)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from apiflask import APIFlask

from services.booking import (
    participants_api,  # noqa: F401 - adds its route to api.bp
    waiting_list_api,  # noqa: F401 - adds its routes to api.bp
)
from services.booking.api import bp
from services.booking.citizens import CitizenProvider, HttpCitizenProvider, StoreProvider
from services.booking.citizens.api import bp as citizens_bp
from services.booking.citizens.api import document_import_as_list
from services.booking.eligibility import EligibilityCache
from services.booking.metrics import install_booking_metrics
from services.booking.models import CprAccessLog, OutboxMessage, PendingLogin, RateLimit, WebSession
from services.booking.offer_list import PreparedOfferList
from services.booking.pages.common import too_many_page
from services.booking.pages.site import bp as citizen_pages_bp
from services.booking.prepared_times import PreparedTimesCache
from shared.audit_api import cpr_access_blueprint
from shared.auth.clients import citizen_client
from shared.auth.login_routes import install_login, login_rate_rules
from shared.auth.sessions import SessionStore, authenticator_with_sessions
from shared.auth.web import Authenticator, document_access, install_authentication
from shared.config import Settings, get_settings
from shared.db import Database
from shared.i18n import N_
from shared.messaging import Publisher
from shared.outbox import OutboxRelay
from shared.pages import install_pages
from shared.rate_limit import By, RateLimiter, Rule, install_rate_limits, rule, rules_for
from shared.service import ServiceContext
from shared.timeutil import utcnow
from shared.web import broker_check, database_check, install_docs_assets, install_error_handling, install_health
from shared.web_security import install_browser_safety, trust_proxies

TITLE = "jobcenter-planner booking"
BOOKING_WRITES = (
    "booking.create_booking",
    "booking.cancel_booking",
    "booking.rebook_booking",
    "citizen_pages.choose",
    "citizen_pages.book",
    "citizen_pages.cancel",
)
"""The endpoints that hold, book, cancel or rebook: rate-limited per person and per client IP."""


def build_booking_context(settings: Settings) -> ServiceContext:
    """Database and outbox relay of the booking service.

    The engine hides statement parameters in its errors, so a failing insert can never
    carry a CPR number into a log.
    """
    db = Database(settings.booking_database_url, hide_parameters=True)
    relay = OutboxRelay(db, OutboxMessage, Publisher(settings.broker_url, settings.events_exchange))
    return ServiceContext(settings=settings, db=db, relay=relay)


def citizen_provider(context: ServiceContext) -> CitizenProvider:
    """The external registry when ``citizen_registry_url`` is configured, else the booking store."""
    url = context.settings.citizen_registry_url
    if url:
        timeout = context.settings.citizen_registry_timeout_seconds
        return HttpCitizenProvider(url, timeout_seconds=timeout)
    return StoreProvider(context.db)


def booking_rate_rules(settings: Settings) -> dict[str, list[Rule]]:
    """Booking writes of citizens and staff (not of machines), one count for all three kinds."""
    return rules_for(
        BOOKING_WRITES,
        rule("booking.write", settings.booking_rate_limit, By.PERSON, limit_machines=False),
        rule("booking.write", settings.booking_ip_rate_limit, By.IP, limit_machines=False),
    )


def create_app(
    settings: Settings | None = None,
    *,
    context: ServiceContext | None = None,
    start_relay: bool = False,
    clock: Callable[[], datetime] | None = None,
    citizens: CitizenProvider | None = None,
    authenticator: Authenticator | None = None,
    sessions: SessionStore | None = None,
    rate_limiter: RateLimiter | None = None,
) -> APIFlask:
    """The citizen API; ``app.extensions["planner"]`` holds its ServiceContext.

    ``start_relay`` sends ``booking.created`` events in a background thread right after
    each commit. ``clock`` replaces the current instant (tests: the citizen's "today").
    ``citizens`` is where citizen profiles come from (default: ``citizen_provider``).
    ``authenticator`` turns credentials into principals (default: from the settings; one
    without sessions of its own reads the browser sessions). ``sessions`` and ``rate_limiter``
    replace the database-backed browser sessions and rate limits (tests: another clock).
    Citizens log in at ``/login`` when the citizens' provider is configured.
    """
    if context is None:
        context = build_booking_context(settings or get_settings())
    app = APIFlask(__name__, title=TITLE, version="1.0.0", docs_path="/docs")
    app.config["DESCRIPTION"] = (
        "Borgerens selvbooking: aktive tilbud, ledige tider og booking af en tid. "
        "Alle tidspunkter er ISO-8601 med UTC-forskydning. Fejl er problem documents (RFC 9457)."
    )
    app.extensions["planner"] = context
    app.extensions["booking.clock"] = clock or utcnow
    app.extensions["booking.citizens"] = citizens or citizen_provider(context)
    app.extensions["booking.eligibility"] = EligibilityCache()
    app.extensions["booking.prepared_times"] = PreparedTimesCache(context.settings)
    app.extensions["booking.offer_list"] = PreparedOfferList()
    settings = context.settings
    sessions = sessions or SessionStore.from_settings(context.db, WebSession, PendingLogin, settings)
    client = citizen_client(settings)
    trust_proxies(app, settings.forwarded_hops)
    install_error_handling(app, document_import_as_list, document_access(app))
    install_authentication(app, authenticator_with_sessions(settings, sessions, authenticator))
    install_browser_safety(app, settings, sessions, login_origins=[client.issuer] if client else [])
    limiter = rate_limiter or RateLimiter(context.db, RateLimit)
    install_rate_limits(
        app, limiter, login_rate_rules(settings) | booking_rate_rules(settings), pages={"citizen_pages": too_many_page}
    )

    install_docs_assets(app)
    install_health(app, {"database": database_check(context.db), "broker": broker_check(settings.broker_url)})
    install_booking_metrics(app, context.db)
    app.register_blueprint(bp)
    app.register_blueprint(citizens_bp)
    app.register_blueprint(cpr_access_blueprint(CprAccessLog, citizens_log_in=True))
    install_login(app, client, sessions, settings, public_url=settings.booking_public_url)
    install_pages(app, site=N_("Book et møde med jobcentret"), audience="citizens", login=client is not None)
    app.register_blueprint(citizen_pages_bp)
    if start_relay:
        context.start_relay_thread()
    return app
