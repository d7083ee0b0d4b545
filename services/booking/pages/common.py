"""What every route of the citizen's pages shares: the blueprint, the citizen and the clock,
and the error pages (see the package)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, request, url_for
from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from services.booking import access, operations
from services.booking.models import Booking, OfferView
from services.booking.prepared_times import PreparedTimesCache
from shared.auth.access import Action
from shared.auth.web import current_citizen
from shared.cpr import Cpr
from shared.eligibility import CitizenProfile
from shared.errors import DatabaseUnavailable, Forbidden, NotFound, PlannerError, Unauthenticated
from shared.i18n import N_
from shared.pages import page_text, render_page
from shared.rate_limit import TOO_MANY
from shared.service import ServiceContext
from shared.web import DATABASE_ERRORS, database_unavailable

bp = Blueprint("citizen_pages", __name__, url_prefix="/mine-moedetilbud", template_folder="templates")

CITIZEN = Action.CITIZEN_SELF_SERVICE
STAFF_HERE = N_("Siderne er for borgere, der er logget ind med MitID.")
PROBLEM_TITLES = {
    403: lazy_gettext("Du har ikke adgang til siden"),
    404: lazy_gettext("Siden findes ikke"),
    429: lazy_gettext("Vent lidt, og prøv igen"),
}
FAILED = lazy_gettext("Det lykkedes ikke")


def context() -> ServiceContext:
    return current_app.extensions["planner"]  # type: ignore[no-any-return]


def now() -> datetime:
    clock: Callable[[], datetime] = current_app.extensions["booking.clock"]
    return clock()


def prepared_times() -> PreparedTimesCache:
    """The offers' prepared free times of this process (``services.booking.prepared_times``)."""
    return current_app.extensions["booking.prepared_times"]  # type: ignore[no-any-return]


def citizen_cpr() -> Cpr:
    """The logged-in citizen's CPR number (never shown, logged or put in a URL)."""
    citizen = current_citizen()
    if citizen is None:  # staff with a bearer token: no citizen to act for
        raise Forbidden(STAFF_HERE)
    return citizen.cpr


def citizen(purpose: str) -> CitizenProfile:
    """The logged-in citizen's profile (the lookup logged as the API's are)."""
    return access.look_up(citizen_cpr(), purpose)


def own_booking(session: Session, booking_id: uuid.UUID) -> tuple[Booking, OfferView]:
    """The logged-in citizen's booking and its offer (another's is 404, as the API answers)."""
    citizen_cpr()
    booking = operations.get_booking(session, booking_id)
    offer = session.get(OfferView, booking.offer_id)
    access.authorize_booking(access.READ, booking, offer)
    if offer is None:
        raise NotFound(N_("Mødet findes ikke."))
    return booking, offer


@bp.errorhandler(Unauthenticated)
def _log_in_first(exc: Unauthenticated) -> Response:
    """Anonymous (or an expired session): log in, then come back here."""
    path = request.full_path.rstrip("?") if request.method == "GET" else url_for(".offers")
    return redirect("/login?" + urlencode({"next": path}), 302)  # type: ignore[return-value]


def too_many_page(retry_after: int) -> Response:
    """The page of a citizen who has sent too many bookings, moves or cancellations for now
    (the rate limits; ``Retry-After`` is added by them)."""
    title = PROBLEM_TITLES[429]
    return render_page("citizen/problem.html", status=429, title=title, detail=page_text(TOO_MANY))


@bp.errorhandler(PlannerError)
def _problem_page(exc: PlannerError) -> Response:
    """Refusals and errors as pages with the message in the page's language (never a
    problem document)."""
    title = PROBLEM_TITLES.get(exc.status, FAILED)
    page = render_page("citizen/problem.html", status=exc.status, title=title, detail=page_text(exc.detail))
    if isinstance(exc, DatabaseUnavailable):
        page.headers["Retry-After"] = str(exc.retry_after)
    return page


for _error in DATABASE_ERRORS:
    bp.register_error_handler(_error, lambda exc: _problem_page(database_unavailable(exc)))
