"""The citizen API under /api/v1: offers, free times, bookings. Thin: parse, call, serialise.

A CPR number arrives only in a POST body; it is never in a URL, a response or a log, and
every lookup of one is written to the CPR access log (``citizens.look_up_citizen``).

Anonymous browsing (GET /offers, /offers/{id}, /offers/{id}/times) shows the public facts of
every active, opened offer with rules and all its free times; whether a citizen may book one
depends on their profile, so the citizen's own views are POSTs carrying the CPR number:
/eligible-offers (B-1), /offers/{id}/times (their times: R-5 advisors, personal deadline)
and /bookings (checked again on the booking day). The citizen cancels (B-3) or moves (B-4)
a booking with POST /bookings/{id}/cancel and /bookings/{id}/rebook, the CPR in the body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apiflask import APIBlueprint
from flask import current_app

from services.booking import changes, eligibility, operations, queries
from services.booking.citizens import CitizenProvider, identify_citizen, look_up_citizen
from services.booking.models import Booking, OfferView
from services.booking.schemas import (
    BookingIn,
    BookingOut,
    CitizenRefIn,
    CitizenTimesIn,
    OfferDetailOut,
    OfferListOut,
    OfferOut,
    RebookingIn,
    StaffHeader,
    TimesOut,
    TimesQuery,
)
from shared.audit import CITIZEN_SELF
from shared.eligibility import CitizenProfile
from shared.service import ServiceContext
from shared.timeutil import today_in, zone

bp = APIBlueprint("booking", __name__, url_prefix="/api/v1", tag="Borgere")

PROBLEMS = {
    404: "Tilbuddet eller bookingen findes ikke (problem document).",
    409: "Tiden er ikke længere ledig, eller borgeren har allerede en booking i tilbuddet (problem document).",
}
CHANGE_PROBLEMS = {
    403: "Bookingen er ikke borgerens egen, eller bookingens vilkår tillader ikke ændringen (aflysning, "
    "ombooking, fristen for ombooking) (problem document).",
    404: "Bookingen findes ikke (problem document).",
    409: "Bookingen er allerede aflyst eller flyttet, mødet er begyndt, eller den nye tid er ikke ledig "
    "(problem document; den gamle booking er uændret).",
    422: "CPR-nummeret eller tidspunktet er ikke gyldigt (problem document).",
}
CITIZEN_PROBLEMS = {
    403: "Borgeren er ukendt, eller opfylder ikke tilbuddets regler for deltagere: 'detail' siger hvorfor, "
    "'failed' hvilke grupper og regler (problem document).",
    422: "CPR-nummeret er ikke gyldigt (problem document).",
    503: "Borgerregistret svarer ikke (problem document).",
}


def _context() -> ServiceContext:
    return current_app.extensions["planner"]  # type: ignore[no-any-return]


def _now() -> datetime:
    clock: Callable[[], datetime] = current_app.extensions["booking.clock"]
    return clock()


def _citizen(json_data: dict[str, Any], headers: dict[str, Any], purpose: str) -> CitizenProfile:
    provider: CitizenProvider = current_app.extensions["booking.citizens"]
    actor = headers["staff"] or CITIZEN_SELF
    return look_up_citizen(_context().db, provider, json_data["citizen"]["cpr"], actor=actor, purpose=purpose)


def _offer_out(offer: OfferView) -> dict[str, Any]:
    fields = OfferOut().fields
    return {name: getattr(offer, name) for name in fields if name != "eligibility_required"} | {
        "eligibility_required": True
    }


def _times_out(offer: OfferView, options: list[queries.TimeOption]) -> dict[str, Any]:
    times = [{"start": o.start, "end": o.end} | ({"advisor_id": o.advisor_id} if o.advisor_id else {}) for o in options]
    return {
        "offer_id": offer.id,
        "timezone": offer.timezone,
        "citizen_may_choose_advisor": offer.citizen_may_choose_advisor,
        "times": times,
    }


def _booking_out(booking: Booking, offer: OfferView | None) -> dict[str, Any]:
    tz = zone(offer.timezone if offer else None)
    return {
        "id": booking.id,
        "reference": booking.reference,
        "offer_id": booking.offer_id,
        "offer_name": offer.name if offer else None,
        "advisor_id": booking.advisor_id,
        "start": booking.start_at.astimezone(tz),
        "end": booking.end_at.astimezone(tz),
        "created_at": booking.created_at,
        "cancelled_at": booking.cancelled_at,
        "accept_cancellation": booking.accept_cancellation,
        "rebooking_days_before": booking.rebooking_days_before,
        "status": booking.status,
        "rebooked_to": booking.rebooked_to_id,
    }


@bp.get("/offers")
@bp.output(OfferListOut)
@bp.doc(
    summary="Public facts of every active, opened offer (anonymous browsing)",
    description="Booking needs eligibility: POST /api/v1/eligible-offers lists the offers one citizen may book.",
)
def list_offers() -> dict[str, Any]:
    with _context().db.transaction() as session:
        return {"offers": [_offer_out(o) for o in queries.bookable_offers(session, _now())]}


@bp.get("/offers/<uuid:offer_id>")
@bp.output(OfferDetailOut)
@bp.doc(summary="One bookable offer", responses=PROBLEMS)
def get_offer(offer_id: uuid.UUID) -> dict[str, Any]:
    with _context().db.transaction() as session:
        return _offer_out(queries.bookable_offer(session, offer_id, _now()))


@bp.get("/offers/<uuid:offer_id>/times")
@bp.input(TimesQuery, location="query")
@bp.output(TimesOut)
@bp.doc(summary="All free times of an offer for anyone booking today (anonymous browsing)", responses=PROBLEMS)
def list_times(offer_id: uuid.UUID, query_data: dict[str, Any]) -> dict[str, Any]:
    context, now = _context(), _now()
    with context.db.transaction() as session:
        offer = queries.bookable_offer(session, offer_id, now)
        options = queries.list_times(
            session,
            offer,
            context.settings,
            now,
            start_from=query_data["from_"],
            until=query_data["to"],
            advisor_id=query_data["advisor_id"],
        )
        return _times_out(offer, options)


@bp.post("/eligible-offers")
@bp.input(CitizenRefIn, location="json")
@bp.input(StaffHeader, location="headers", arg_name="headers")
@bp.output(OfferListOut)
@bp.doc(summary="The offers this citizen may see and book now (B-1)", responses=CITIZEN_PROBLEMS)
def list_eligible_offers(json_data: dict[str, Any], headers: dict[str, Any]) -> dict[str, Any]:
    citizen = _citizen(json_data, headers, "eligible_offers")
    context, now = _context(), _now()
    cache: eligibility.EligibilityCache = current_app.extensions["booking.eligibility"]
    with context.db.transaction() as session:
        day = today_in(zone(context.settings.timezone), now)
        offers = eligibility.eligible_offers(session, cache, citizen, now, day)
        return {"offers": [_offer_out(o) for o in offers]}


@bp.post("/offers/<uuid:offer_id>/times")
@bp.input(CitizenTimesIn, location="json")
@bp.input(StaffHeader, location="headers", arg_name="headers")
@bp.output(TimesOut)
@bp.doc(
    summary="The times this citizen may book in the offer",
    description="Only the advisors a routed person-group marker allows (R-5), and nothing after the citizen's "
    "personal deadline or last allowed meeting date (B-2).",
    responses=PROBLEMS | CITIZEN_PROBLEMS,
)
def list_citizen_times(offer_id: uuid.UUID, json_data: dict[str, Any], headers: dict[str, Any]) -> dict[str, Any]:
    citizen = _citizen(json_data, headers, "times")
    context, now = _context(), _now()
    with context.db.transaction() as session:
        offer = queries.bookable_offer(session, offer_id, now)
        eligibility.require_eligible(offer, citizen, today_in(queries.offer_zone(offer), now))
        ends = [t for t in (json_data["to"], eligibility.personal_end(offer, citizen)) if t is not None]
        options = queries.list_times(
            session,
            offer,
            context.settings,
            now,
            start_from=json_data["from_"],
            until=min(ends) if ends else None,
            advisor_id=json_data["advisor_id"],
            advisors_allowed=eligibility.allowed_advisor_ids(offer, citizen),
        )
        return _times_out(offer, options)


@bp.post("/bookings")
@bp.input(BookingIn, location="json")
@bp.input(StaffHeader, location="headers", arg_name="headers")
@bp.output(BookingOut, status_code=201)
@bp.doc(
    summary="Book a time (the citizen's eligibility is checked again on the booking day)",
    responses=PROBLEMS | CITIZEN_PROBLEMS,
)
def create_booking(json_data: dict[str, Any], headers: dict[str, Any]) -> dict[str, Any]:
    citizen = _citizen(json_data, headers, "booking")
    context = _context()
    with context.db.transaction() as session:
        booking = operations.book(
            session,
            context.settings,
            json_data["offer_id"],
            json_data["start"],
            citizen,
            advisor_id=json_data["advisor_id"],
            now=_now(),
        )
        return _booking_out(booking, session.get(OfferView, booking.offer_id))


@bp.get("/bookings/<uuid:booking_id>")
@bp.output(BookingOut)
@bp.doc(summary="One booking (without the citizen's CPR number)", responses={404: PROBLEMS[404]})
def get_booking(booking_id: uuid.UUID) -> dict[str, Any]:
    with _context().db.transaction() as session:
        booking = operations.get_booking(session, booking_id)
        return _booking_out(booking, session.get(OfferView, booking.offer_id))


@bp.post("/bookings/<uuid:booking_id>/cancel")
@bp.input(CitizenRefIn, location="json")
@bp.input(StaffHeader, location="headers", arg_name="headers")
@bp.output(BookingOut)
@bp.doc(
    summary="Cancel a booking (B-3): only the booking's own citizen, if its terms accepted cancellation",
    description="The time is free again at once. The terms are those of the booking day (V-6).",
    responses=CHANGE_PROBLEMS,
)
def cancel_booking(booking_id: uuid.UUID, json_data: dict[str, Any], headers: dict[str, Any]) -> dict[str, Any]:
    context = _context()
    actor = headers["staff"] or CITIZEN_SELF
    cpr = identify_citizen(context.db, json_data["citizen"]["cpr"], actor=actor, purpose="cancel_booking")
    with context.db.transaction() as session:
        booking = changes.cancel_booking(session, booking_id, cpr, now=_now())
        return _booking_out(booking, session.get(OfferView, booking.offer_id))


@bp.post("/bookings/<uuid:booking_id>/rebook")
@bp.input(RebookingIn, location="json")
@bp.input(StaffHeader, location="headers", arg_name="headers")
@bp.output(BookingOut, status_code=201)
@bp.doc(
    summary="Move a booking to another time of the same offer (B-4); returns the new booking",
    description="Allowed when the booking's terms allow rebooking, until N days before the meeting (local "
    "dates in the offer's zone: the last day is the meeting's date minus N). The new time follows every rule "
    "of a new booking. The new booking has a new id and reference; the old one gets status 'rebooked'. When "
    "the new time is refused, the old booking is unchanged.",
    responses=CITIZEN_PROBLEMS | CHANGE_PROBLEMS | {403: f"{CHANGE_PROBLEMS[403]} {CITIZEN_PROBLEMS[403]}"},
)
def rebook_booking(booking_id: uuid.UUID, json_data: dict[str, Any], headers: dict[str, Any]) -> dict[str, Any]:
    citizen = _citizen(json_data, headers, "rebook_booking")
    context = _context()
    with context.db.transaction() as session:
        booking = changes.rebook_booking(
            session,
            context.settings,
            booking_id,
            json_data["start"],
            citizen,
            advisor_id=json_data["advisor_id"],
            now=_now(),
        )
        return _booking_out(booking, session.get(OfferView, booking.offer_id))
