"""The participant section's forms on the offer page: search by name or CPR number and "Vis"
one CPR number (POSTs, so a CPR number never is in a URL), and "Download (Excel)" (V-4),
whose file a group meeting's export shares (``export_response``). The person needs to read
participants at the offer's job centre."""

from __future__ import annotations

import uuid

from flask import Response, request

from services.offers.access import authorized
from services.offers.blueprint import NO_OFFER, transaction
from services.offers.models import JobCentre, Offer
from services.offers.offers.pages import offer_page_response
from services.offers.participants.booking_api import BookedCitizen, BookingApi
from services.offers.participants.export import CONTENT_TYPE, file_name, workbook
from services.offers.participants.view import booking_api, log_shown
from services.offers.staff_site import staff_blueprint
from shared.auth.access import Action
from shared.auth.web import requires
from shared.errors import Conflict
from shared.i18n import N_
from shared.timeutil import utcnow

bp = staff_blueprint("participant_pages", __name__, url_prefix="/tilbud")

READ = Action.READ_PARTICIPANTS
NOT_SET_UP = N_(
    "Deltagerlisten kan ikke hentes: forbindelsen til bookingsystemet er ikke sat op. Kontakt it-afdelingen."
)


def booking_id(text: str | None) -> uuid.UUID | None:
    """The booking id a form names (``vis``); None for anything else."""
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None


@bp.post("/<uuid:offer_id>/deltagere")
@requires(READ)
def search_participants(offer_id: uuid.UUID) -> Response:
    """Søg (``search``) and Vis (``vis``: a booking id) in the participant list."""
    with transaction() as session:
        authorized(session, Offer, offer_id, NO_OFFER, READ)
    search = request.form.get("search", "")
    return offer_page_response(offer_id, search=search, reveal=booking_id(request.form.get("vis")))


def required_api() -> BookingApi:
    """Booking's API; Conflict when the offers service has none set up."""
    api = booking_api()
    if api is None:
        raise Conflict(NOT_SET_UP, code="participants_not_set_up")
    return api


def export_response(title: str, found: list[BookedCitizen], timezone: str, name: str) -> Response:
    """The participants ``found`` (with their full CPR numbers) as the Excel file ``name``, each
    number logged as seen by the person downloading it first."""
    log_shown("participant_export", [c.cpr for c in found if c.cpr is not None])
    response = Response(workbook(title, found, timezone, utcnow()), mimetype=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<uuid:offer_id>/deltagere.xlsx")
@requires(READ)
def export_participants(offer_id: uuid.UUID) -> Response:
    """Download (Excel): every participant with the full CPR number, each logged as seen."""
    with transaction() as session:
        offer = authorized(session, Offer, offer_id, NO_OFFER, READ)
        centre = session.get(JobCentre, offer.job_centre_id)
        assert centre is not None
        name, timezone = offer.name, centre.timezone
    found = required_api().participants(offer_id, everyone=True)
    return export_response(name, found, timezone, file_name(name))
