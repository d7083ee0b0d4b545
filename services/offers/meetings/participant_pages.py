"""Who has a seat at a group meeting, on the meeting's page (V-7): "Vis" one CPR number, the
meeting's participant list as an Excel file, and "Tilføj borger" (staff give a citizen a
seat by hand, through booking's seat API with the offers service's key).

Every form is a POST with its CSRF token, so no CPR number is ever in a URL. Showing and
exporting need the right to read participants at the offer's job centre (as the offer
page's list); adding a citizen needs to write offers there, as every meeting form, and to
write participants. Each CPR number a person sees or types is logged with them first.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import Response, redirect, request, url_for
from flask_babel import gettext

from services.offers.blueprint import WRITE_OFFERS, transaction
from services.offers.meetings.add_citizen import read_form, refused, unavailable
from services.offers.meetings.pages import group_offer, meeting_of, meeting_page_response
from services.offers.participants.booking_api import ParticipantsUnavailable
from services.offers.participants.export import file_name
from services.offers.participants.pages import READ, booking_id, export_response, required_api
from services.offers.participants.view import log_shown
from services.offers.staff_site import staff_blueprint
from shared import formatting as fmt
from shared.auth.access import Action
from shared.auth.web import authorize, current_actor, requires
from shared.pages import page_locale
from shared.timeutil import zone

bp = staff_blueprint("meeting_participant_pages", __name__, url_prefix="/tilbud")
log = logging.getLogger(__name__)


@bp.post("/<uuid:offer_id>/moeder/<uuid:meeting_id>/deltagere")
@requires(WRITE_OFFERS)
def reveal_participant(offer_id: uuid.UUID, meeting_id: uuid.UUID) -> Response:
    """Vis (``vis``: a booking id): the meeting's page with that participant's CPR number."""
    reveal = booking_id(request.form.get("vis"))
    return meeting_page_response(offer_id, meeting_id, reveal=reveal)


@bp.post("/<uuid:offer_id>/moeder/<uuid:meeting_id>/deltagere.xlsx")
@requires(READ)
def export_meeting(offer_id: uuid.UUID, meeting_id: uuid.UUID) -> Response:
    """Download (Excel): the meeting's participants with their full CPR numbers, each logged
    as seen; the file is named by the offer and the meeting's start."""
    with transaction() as session:
        offer = group_offer(session, offer_id, READ)
        meeting = meeting_of(offer, meeting_id)
        timezone = offer.job_centre.timezone
        start = meeting.starts_at.astimezone(zone(timezone))
        when = fmt.when(start, start + timedelta(minutes=offer.duration_minutes), page_locale())
        title, name = gettext("%(offer)s, mødet %(when)s", offer=offer.name, when=when), offer.name
    found = required_api().participants(offer_id, meeting_id=meeting_id, everyone=True)
    return export_response(title, found, timezone, file_name(name, start))


@bp.post("/<uuid:offer_id>/moeder/<uuid:meeting_id>/borgere")
@requires(WRITE_OFFERS)
def add_citizen(offer_id: uuid.UUID, meeting_id: uuid.UUID) -> Response:
    """Tilføj borger: a seat for the citizen with the CPR number typed; booking's refusal at
    its field (the rules' reason, with a place for one's own; a full meeting, with the tick
    for a seat beyond its seats)."""
    with transaction() as session:
        offer = group_offer(session, offer_id)
        meeting_of(offer, meeting_id)
        authorize(Action.WRITE_PARTICIPANTS, offer.job_centre.code)
    api = required_api()
    form = read_form(request.form)
    if form.cpr is None or form.errors:
        return meeting_page_response(offer_id, meeting_id, citizen=form, status=422)
    log_shown("seat_added", [form.cpr])  # typed, and shown again in the form
    values = form.values
    try:
        answer = api.add_seat(
            offer_id, meeting_id, form.cpr, email=values["email"], override_reason=values["override_reason"],
            above_capacity=form.above_capacity, on_behalf_of=current_actor(),
        )  # fmt: skip
    except ParticipantsUnavailable:
        return meeting_page_response(offer_id, meeting_id, citizen=unavailable(form), status=503)
    if not answer.seated:
        status = 422 if answer.code == "validation_failed" else 409
        return meeting_page_response(offer_id, meeting_id, citizen=refused(form, answer), status=status)
    log.info("%s gave seat %s at meeting %s by hand (rules set aside: %s, above the seats: %s)", current_actor(),
             answer.reference, meeting_id, bool(values["override_reason"]), form.above_capacity)  # fmt: skip
    target = url_for("meeting_pages.meeting_page", offer_id=offer_id, meeting_id=meeting_id, besked="borger-tilfoejet")
    return redirect(target + "#deltagere", 303)  # type: ignore[return-value]
