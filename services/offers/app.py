"""The offers service's WSGI application (staff API)."""

from __future__ import annotations

from apiflask import APIFlask

from services.offers.api import bp
from services.offers.models import CprAccessLog, OutboxMessage, PendingLogin, RateLimit, WebSession
from services.offers.offers.offer_list import PreparedOfferLists
from services.offers.participants.booking_api import BookingApi
from services.offers.participants.view import BOOKING_API
from services.offers.staff_site import install_staff_site
from shared.audit_api import cpr_access_blueprint
from shared.auth.clients import staff_client
from shared.auth.login_routes import install_login, login_rate_rules
from shared.auth.sessions import SessionStore, authenticator_with_sessions
from shared.auth.web import Authenticator, document_access, install_authentication
from shared.config import Settings, get_settings
from shared.i18n import N_
from shared.metrics import install_metrics, outbox_lag_source
from shared.pages import install_pages
from shared.rate_limit import RateLimiter, install_rate_limits
from shared.service import ServiceContext, build_context
from shared.web import broker_check, database_check, install_docs_assets, install_error_handling, install_health
from shared.web_security import install_browser_safety, trust_proxies

TAGS = [
    {"name": "Jobcentre", "description": "Job centres, sub-job-centres and their closing days (A-1, A-3)."},
    {"name": "Teams", "description": "Teams of a job centre."},
    {"name": "Mødelokaler", "description": "Meeting rooms with address and capacity."},
    {"name": "Vejledere", "description": "Advisors: CalDAV calendar, working hours, teams."},
    {"name": "Kalendere", "description": "Conflicts between advisors' own calendars and booked meetings."},
    {"name": "Tilbud", "description": "Online offers citizens book themselves (O-1 to O-10, V-1 to V-6)."},
    {"name": "Referencelister", "description": "Lists behind the participant rules, edited by an administrator (A-5)."},
    {"name": "Adgang til CPR-numre", "description": "Who used a citizen's CPR number, when and why (insight)."},
]


def create_app(
    settings: Settings | None = None,
    *,
    context: ServiceContext | None = None,
    start_relay: bool = False,
    authenticator: Authenticator | None = None,
    sessions: SessionStore | None = None,
    rate_limiter: RateLimiter | None = None,
) -> APIFlask:
    """The offers API. Builds its ServiceContext (database, outbox relay) unless given one;
    ``start_relay`` also starts the thread that publishes outbox events after each commit;
    ``authenticator`` turns credentials into principals (default: from the settings; one
    without sessions of its own reads the browser sessions). ``sessions`` and
    ``rate_limiter`` replace the database-backed browser sessions and rate limits (tests:
    another clock). Staff log in at ``/login`` when the staff provider is configured."""
    settings = settings or (context.settings if context else get_settings())
    context = context or build_context(settings, settings.offers_database_url, OutboxMessage)
    app = APIFlask(__name__, title="jobcenter-planner offers", version="1")
    app.config.update(
        DESCRIPTION="Staff API: admin data and online offers. Errors are application/problem+json.",
        TAGS=TAGS,
    )
    app.extensions["planner"] = context
    app.extensions["offers.lists"] = PreparedOfferLists()
    if settings.booking_api_url:
        key, timeout = settings.booking_api_key.get_secret_value(), settings.booking_api_timeout_seconds
        app.extensions[BOOKING_API] = BookingApi(settings.booking_api_url, key, timeout)
    sessions = sessions or SessionStore.from_settings(context.db, WebSession, PendingLogin, settings)
    client = staff_client(settings)
    trust_proxies(app, settings.forwarded_hops)
    install_error_handling(app, document_access(app))
    install_authentication(app, authenticator_with_sessions(settings, sessions, authenticator))
    install_browser_safety(app, settings, sessions, login_origins=[client.issuer] if client else [])
    install_rate_limits(app, rate_limiter or RateLimiter(context.db, RateLimit), login_rate_rules(settings))

    install_docs_assets(app)
    install_health(app, {"database": database_check(context.db), "broker": broker_check(settings.broker_url)})
    install_metrics(app, "offers", [outbox_lag_source(context.db, OutboxMessage)])
    app.register_blueprint(bp)
    app.register_blueprint(cpr_access_blueprint(CprAccessLog, citizens_log_in=False))
    install_login(app, client, sessions, settings, public_url=settings.offers_public_url)
    install_pages(app, site=N_("Mødetilbud for medarbejdere"), audience="staff", login=client is not None)
    install_staff_site(app)
    if start_relay:
        context.start_relay_thread()
    return app
