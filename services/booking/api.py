"""The citizen API under /api/v1: offers, free times, bookings. Thin: parse, call, serialise.

A CPR number arrives only in a POST body; it is never in a URL, a response or a log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apiflask import APIBlueprint
from flask import current_app

from services.booking import operations, queries
from services.booking.models import Booking, OfferView
from services.booking.schemas import BookingIn, BookingOut, OfferDetailOut, OfferListOut, OfferOut, TimesOut, TimesQuery
from shared.service import ServiceContext
from shared.timeutil import zone

bp = APIBlueprint("booking", __name__, url_prefix="/api/v1", tag="Borgere")

PROBLEMS = {
    404: "Tilbuddet eller bookingen findes ikke (problem document).",
    409: "Tiden er ikke længere ledig, eller borgeren har allerede en booking i tilbuddet (problem document).",
}


def _context() -> ServiceContext:
    return current_app.extensions["planner"]  # type: ignore[no-any-return]


def _now() -> datetime:
    clock: Callable[[], datetime] = current_app.extensions["booking.clock"]
    return clock()


def _offer_out(offer: OfferView) -> dict[str, Any]:
    fields = OfferOut().fields
    return {name: getattr(offer, name) for name in fields}


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
    }


@bp.get("/offers")
@bp.output(OfferListOut)
@bp.doc(summary="Offers a citizen can book now (active and opened)")
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
@bp.doc(summary="Free times of an offer for a citizen booking today", responses=PROBLEMS)
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
        times = [
            {"start": o.start, "end": o.end} | ({"advisor_id": o.advisor_id} if o.advisor_id else {}) for o in options
        ]
        return {
            "offer_id": offer.id,
            "timezone": offer.timezone,
            "citizen_may_choose_advisor": offer.citizen_may_choose_advisor,
            "times": times,
        }


@bp.post("/bookings")
@bp.input(BookingIn, location="json")
@bp.output(BookingOut, status_code=201)
@bp.doc(summary="Book a time", responses=PROBLEMS)
def create_booking(json_data: dict[str, Any]) -> dict[str, Any]:
    context = _context()
    with context.db.transaction() as session:
        booking = operations.book(
            session,
            context.settings,
            json_data["offer_id"],
            json_data["start"],
            json_data["citizen"]["cpr"],
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
