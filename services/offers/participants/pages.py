"""The participant section's forms on the offer page: search by name or CPR number and "Vis"
one CPR number (POSTs, so a CPR number never is in a URL), and "Download (Excel)" (V-4).
The person needs to read participants at the offer's job centre."""

from __future__ import annotations

import re
import uuid

from flask import Response, request

from services.offers.access import authorized
from services.offers.blueprint import NO_OFFER, transaction
from services.offers.models import JobCentre, Offer
from services.offers.offers.pages import offer_page_response
from services.offers.participants.export import CONTENT_TYPE, workbook
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


def _booking_id(text: str | None) -> uuid.UUID | None:
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
    return offer_page_response(offer_id, search=search, reveal=_booking_id(request.form.get("vis")))


def _file_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().translate(str.maketrans("æøå", "eoa"))).strip("-")
    return f"deltagere-{slug or 'tilbud'}.xlsx"


@bp.post("/<uuid:offer_id>/deltagere.xlsx")
@requires(READ)
def export_participants(offer_id: uuid.UUID) -> Response:
    """Download (Excel): every participant with the full CPR number, each logged as seen."""
    with transaction() as session:
        offer = authorized(session, Offer, offer_id, NO_OFFER, READ)
        centre = session.get(JobCentre, offer.job_centre_id)
        assert centre is not None
        name, timezone = offer.name, centre.timezone
    api = booking_api()
    if api is None:
        raise Conflict(NOT_SET_UP, code="participants_not_set_up")
    found = api.participants(offer_id, everyone=True)
    log_shown("participant_export", [c.cpr for c in found if c.cpr is not None])
    body = workbook(name, found, timezone, utcnow())
    response = Response(body, mimetype=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name(name)}"'
    response.headers["Cache-Control"] = "no-store"
    return response
