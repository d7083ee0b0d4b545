"""The staff's list of who booked an offer (V-3, V-4): ``POST /api/v1/offers/{id}/participants``;
and bookings by id with their citizens' names and e-mail, for calendar conflicts
(``POST /api/v1/bookings/lookup``).

A POST, so that a CPR number searched for travels in the body, never in a URL. The caller
needs to read participants at the offer's job centre (another centre's offer is 404). The
answer is the one place this API gives CPR numbers: masked unless the caller names the
bookings (or asks for all, to export), and every number given in full, and every CPR number
searched for, is written to the CPR access log with the caller and the route first.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app

from services.booking import access
from services.booking.api import bp
from services.booking.models import CprAccessLog, OfferView
from services.booking.participants import meetings_by_id, participant_json, participants_of, revealed, search_cpr
from services.booking.schemas import MeetingsIn, MeetingsOut, ParticipantsIn, ParticipantsOut
from shared.audit import log_cpr_accesses
from shared.auth.web import authorize, current_actor, current_route, job_centres_allowed, requires
from shared.errors import NotFound
from shared.service import ServiceContext
from shared.timeutil import today_in, zone

NO_OFFER = "Tilbuddet findes ikke."


@bp.post("/offers/<uuid:offer_id>/participants")
@bp.input(ParticipantsIn, location="json")
@bp.output(ParticipantsOut)
@bp.doc(
    summary="Who booked the offer (staff): name, CPR number, contact group, age, deadline, time",
    description="Active bookings by the meeting's start. search finds a name or a CPR number; meeting_id keeps "
    "the seats of one meeting of a group offer. CPR numbers are "
    "masked unless named in reveal (or reveal_all); each full number given and each CPR number searched for is "
    "logged with the caller.",
    tags=["Deltagere"],
    responses={404: NO_OFFER},
)
@requires(access.READ)
def list_participants(offer_id: uuid.UUID, json_data: dict[str, Any]) -> dict[str, Any]:
    context: ServiceContext = current_app.extensions["planner"]
    vault = access.cpr_vault()
    with context.db.transaction() as session:
        offer = session.get(OfferView, offer_id)
        if offer is None:
            raise NotFound(NO_OFFER)
        authorize(access.READ, offer.job_centre_code, not_found=NO_OFFER)
        found = participants_of(session, offer, vault, search=json_data["search"], meeting_id=json_data["meeting_id"])
    shown = revealed(found, set(json_data["reveal"]), json_data["reveal_all"])
    accesses = [("participant_list", p.cpr) for p in shown]
    searched = search_cpr(json_data["search"])
    if searched is not None:
        accesses.append(("participant_search", searched))
    log_cpr_accesses(
        context.db, CprAccessLog, actor=current_actor(), accesses=accesses, route=current_route(), vault=vault
    )
    shown_ids = {p.booking_id for p in shown}
    today = today_in(zone(offer.timezone), current_app.extensions["booking.clock"]())
    items = [participant_json(p, reveal=p.booking_id in shown_ids, today=today) for p in found]
    return {"items": items, "total": len(items)}


@bp.post("/bookings/lookup")
@bp.input(MeetingsIn, location="json")
@bp.output(MeetingsOut)
@bp.doc(
    summary="Bookings by id with the citizen's name and e-mail (staff handling calendar conflicts)",
    description="Only the bookings of offers at job centres where the caller may read participants are "
    "answered; others are left out, as unknown ids are. No CPR number.",
    tags=["Deltagere"],
)
@requires(access.READ)
def look_up_bookings(json_data: dict[str, Any]) -> dict[str, Any]:
    context: ServiceContext = current_app.extensions["planner"]
    allowed = job_centres_allowed(access.READ)
    with context.db.transaction() as session:
        found = meetings_by_id(session, set(json_data["booking_ids"]))
    items = [
        {"booking_id": m.booking_id, "offer_id": m.offer_id, "reference": m.reference, "name": m.name,
         "email": m.email, "start": m.start_at, "end": m.end_at, "cancelled": m.cancelled}
        for m in found
        if allowed is None or m.job_centre_code in allowed
    ]  # fmt: skip
    return {"items": items}
