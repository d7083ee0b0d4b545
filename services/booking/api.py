"""The citizen API under /api/v1: offers, free times, bookings. Thin: parse, call, serialise.

Who may call what (issue 9; ``services.booking.access``): the public offer and time listings
(GET /offers, /offers/{id}, /offers/{id}/times) answer anyone. Every other route needs an
identity. A citizen logged in with MitID (a bearer access token of the citizens' provider,
later the session of the pages) acts for themself: the CPR number comes from the login and
the body carries none (422 if it does); a booking that is not theirs is 404. Staff and
machines act for a citizen under their own identity: they name the citizen with
``citizen.cpr`` in the body and need the staff action at the offer's job centre (reading
participants for eligible offers, times and a booking; writing participants for booking,
cancelling and rebooking): no role there is 404, a role that may only read is 403.

A CPR number arrives only from a login or in a POST body; it is never in a URL, a response
or a log, and every lookup of one is written to the CPR access log with the authenticated
actor and the route (``access.look_up``).

Anonymous browsing shows the public facts of every active, opened offer with rules and all
its free times; whether a citizen may book one depends on their profile, so the citizen's
own views are POSTs: /eligible-offers (B-1), /offers/{id}/times (their times: R-5 advisors,
personal deadline) and /bookings (checked again on the booking day). The citizen cancels
(B-3) or moves (B-4) a booking with POST /bookings/{id}/cancel and /bookings/{id}/rebook.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apiflask import APIBlueprint
from flask import Response, current_app
from sqlalchemy.orm import Session

from services.booking import access, changes, eligibility, operations, queries, seats
from services.booking.models import Booking, OfferView
from services.booking.offer_list import PreparedOfferList, offer_out
from services.booking.prepared_times import PreparedTimesCache
from services.booking.schemas import (
    BookingIn,
    BookingOut,
    CitizenRefIn,
    CitizenTimesIn,
    GroupMeetingListOut,
    OfferDetailOut,
    OfferListOut,
    RebookingIn,
    SeatIn,
    SeatRebookingIn,
    TimesOut,
    TimesQuery,
)
from shared.auth.access import Action
from shared.auth.web import current_actor, current_citizen, public, requires
from shared.errors import ValidationFailed
from shared.service import ServiceContext
from shared.timeutil import today_in, zone

bp = APIBlueprint("booking", __name__, url_prefix="/api/v1", tag="Borgere")

WHO = (
    " En borger, der er logget ind, handler for sig selv: CPR-nummeret kommer fra login, og kroppen har "
    "intet 'citizen' (422 hvis den har). Medarbejdere og systemer handler for en borger med citizen.cpr i "
    "kroppen og skal have rollen ved tilbuddets jobcenter."
)
PROBLEMS = {
    404: "Tilbuddet eller bookingen findes ikke, eller den ligger ved et jobcenter, hvor du ingen rolle har "
    "(problem document).",
    409: "Tiden er ikke længere ledig, eller borgeren har allerede en booking i tilbuddet (problem document).",
}
CHANGE_PROBLEMS = {
    403: "Bookingen er ikke den angivne borgers egen (medarbejdere), du må kun læse ved jobcentret, eller "
    "bookingens vilkår tillader ikke ændringen (aflysning, ombooking, fristen for ombooking) (problem document).",
    404: "Bookingen findes ikke, er ikke din (borgere), eller ligger ved et jobcenter, hvor du ingen rolle har "
    "(problem document).",
    409: "Bookingen er allerede aflyst eller flyttet, mødet er begyndt, eller den nye tid er ikke ledig "
    "(problem document; den gamle booking er uændret).",
    422: "CPR-nummeret eller tidspunktet er ikke gyldigt, en borger sendte et CPR-nummer, eller en medarbejder "
    "sendte intet (problem document).",
}
CITIZEN_PROBLEMS = {
    403: "Borgeren er ukendt, eller opfylder ikke tilbuddets regler for deltagere: 'detail' siger hvorfor, "
    "'failed' hvilke grupper og regler; eller du må kun læse ved tilbuddets jobcenter (problem document).",
    422: "CPR-nummeret er ikke gyldigt, en borger sendte et CPR-nummer, eller en medarbejder sendte intet "
    "(problem document).",
    503: "Borgerregistret svarer ikke (problem document).",
}


def _context() -> ServiceContext:
    return current_app.extensions["planner"]  # type: ignore[no-any-return]


def _now() -> datetime:
    clock: Callable[[], datetime] = current_app.extensions["booking.clock"]
    return clock()


def _check_booking(booking_id: uuid.UUID, action: Action) -> None:
    """404 for an unknown booking or another citizen's; staff: ``action`` at its centre."""
    with _context().db.transaction() as session:
        booking = operations.get_booking(session, booking_id)
        access.authorize_booking(action, booking, session.get(OfferView, booking.offer_id))


def _prepared_times() -> PreparedTimesCache:
    return current_app.extensions["booking.prepared_times"]  # type: ignore[no-any-return]


def _json(body: bytes) -> Response:
    """A JSON answer written already (``prepared_times``: the same document ``TimesOut`` gives)."""
    return current_app.response_class(body, mimetype="application/json")


def _booking_out(booking: Booking, offer: OfferView | None) -> dict[str, Any]:
    tz = zone(offer.timezone if offer else None)
    return {
        "id": booking.id,
        "reference": booking.reference,
        "offer_id": booking.offer_id,
        "offer_name": offer.name if offer else None,
        "advisor_id": booking.advisor_id,
        "group_meeting_id": booking.group_meeting_id,
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
@public
def list_offers() -> Response:
    offer_list: PreparedOfferList = current_app.extensions["booking.offer_list"]
    return _json(offer_list.current(_context().db, _now()))


@bp.get("/offers/<uuid:offer_id>")
@bp.output(OfferDetailOut)
@bp.doc(summary="One bookable offer", responses={404: "Tilbuddet findes ikke, eller det kan ikke bookes nu."})
@public
def get_offer(offer_id: uuid.UUID) -> dict[str, Any]:
    with _context().db.transaction() as session:
        return offer_out(queries.bookable_offer(session, offer_id, _now()))


@bp.get("/offers/<uuid:offer_id>/times")
@bp.input(TimesQuery, location="query")
@bp.output(TimesOut)
@bp.doc(
    summary="All free times of an offer for anyone booking today (anonymous browsing)",
    responses={404: "Tilbuddet findes ikke, eller det kan ikke bookes nu."},
)
@public
def list_times(offer_id: uuid.UUID, query_data: dict[str, Any]) -> Response:
    context, now = _context(), _now()
    prepared = _prepared_times().current(context.db, offer_id, now)
    query = {"start_from": query_data["from_"], "until": query_data["to"], "advisor_id": query_data["advisor_id"]}
    return _json(prepared.body(now, **query))


@bp.get("/offers/<uuid:offer_id>/meetings")
@bp.output(GroupMeetingListOut)
@bp.doc(
    summary="The meetings of a group offer that can be booked today, with their free seats (anonymous browsing)",
    responses={404: "Tilbuddet findes ikke, eller det kan ikke bookes nu."},
)
@public
def list_meetings(offer_id: uuid.UUID) -> dict[str, Any]:
    context, now = _context(), _now()
    with context.db.transaction() as session:
        known = session.get(OfferView, offer_id)
        offer = queries.bookable_offer(session, offer_id, now, known.meeting_form if known else "group")
        found = seats.bookable_meetings(session, context.settings, offer, now)  # none for an individual offer
        tz = zone(offer.timezone)
        items = [
            {
                "id": meeting.id,
                "start": meeting.start_at.astimezone(tz),
                "end": meeting.end_at.astimezone(tz),
                "free_seats": meeting.free_seats,
            }
            for meeting in found
        ]
        return {"items": items}


@bp.post("/offers/<uuid:offer_id>/meetings/<uuid:meeting_id>/seats")
@bp.input(SeatIn, location="json")
@bp.output(BookingOut, status_code=201)
@bp.doc(
    summary="Book a seat at a group meeting (the citizen's eligibility is checked again on the booking day)",
    description="One guarded update takes the seat: when the meeting is full the answer is 409 (meeting_full). "
    "Staff and machines need to write participants at the offer's job centre." + WHO,
    responses=PROBLEMS | CITIZEN_PROBLEMS,
)
@requires(*access.SELF_WRITE)
def book_seat(offer_id: uuid.UUID, meeting_id: uuid.UUID, json_data: dict[str, Any]) -> dict[str, Any]:
    cpr = access.subject_cpr(json_data)
    now = _now()

    def authorized_offer(session: Session) -> OfferView:
        known = session.get(OfferView, offer_id)
        if known is not None:  # the caller's right first: another centre's offer is unknown
            access.authorize_offer(access.WRITE, known)
        return seats.bookable_group_offer(session, offer_id, now)

    offer, citizen = access.look_up_checked(cpr, "booking", authorized_offer)
    context = _context()
    with context.db.transaction() as session:
        booking = seats.book_seat(
            session, context.settings, offer.id, meeting_id, citizen, now=now, email=json_data.get("email"),
            by_hand=_by_hand(json_data),
        )  # fmt: skip
        return _booking_out(booking, offer)


def _by_hand(json_data: dict[str, Any]) -> seats.HandAdded | None:
    """Staff booking for a citizen, maybe by hand (rules set aside with a reason, or above
    the seats); a citizen may do neither (422)."""
    reason = (json_data.get("override_reason") or "").strip() or None
    above = bool(json_data.get("above_capacity"))
    person = (json_data.get("on_behalf_of") or "").strip() or None
    if current_citizen() is not None:
        if not reason and not above and not person:
            return None
        raise ValidationFailed(
            "Kun medarbejdere kan tilføje en borger ud over reglerne eller pladserne.",
            extra={"errors": {"override_reason": ["Kun for medarbejdere."]}},
        )
    actor = current_actor()
    if person is not None:
        if not actor.startswith("machine:"):
            raise ValidationFailed(
                "Kun et system kan sige, hvem hos det der tilføjer borgeren; en medarbejder er det selv.",
                extra={"errors": {"on_behalf_of": ["Kun for systemer."]}},
            )
        actor = f"{person} via {actor}"[:200]
    return seats.HandAdded(actor=actor, reason=reason, above_capacity=above)


@bp.post("/eligible-offers")
@bp.input(CitizenRefIn, location="json")
@bp.output(OfferListOut)
@bp.doc(
    summary="The offers this citizen may see and book now (B-1)",
    description="Staff and machines get only the offers of the job centres where they may read participants." + WHO,
    responses=CITIZEN_PROBLEMS,
)
@requires(*access.SELF_READ)
def list_eligible_offers(json_data: dict[str, Any]) -> dict[str, Any]:
    cpr, centres = access.subject_cpr(json_data), access.readable_job_centres()
    citizen = access.look_up(cpr, "eligible_offers")
    context, now = _context(), _now()
    cache: eligibility.EligibilityCache = current_app.extensions["booking.eligibility"]
    with context.db.transaction() as session:
        day = today_in(zone(context.settings.timezone), now)
        offers = eligibility.eligible_offers(session, cache, citizen, now, day, job_centres=centres)
        return {"offers": [offer_out(o) for o in offers]}


@bp.post("/offers/<uuid:offer_id>/times")
@bp.input(CitizenTimesIn, location="json")
@bp.output(TimesOut)
@bp.doc(
    summary="The times this citizen may book in the offer",
    description="Only the advisors a routed person-group marker allows (R-5), and nothing after the citizen's "
    "personal deadline or last allowed meeting date (B-2)." + WHO,
    responses=PROBLEMS | CITIZEN_PROBLEMS,
)
@requires(*access.SELF_READ)
def list_citizen_times(offer_id: uuid.UUID, json_data: dict[str, Any]) -> Response:
    cpr = access.subject_cpr(json_data)
    now = _now()
    prepared = _prepared_times().current(_context().db, offer_id, now)
    access.authorize_offer(access.READ, prepared.offer)
    citizen = access.look_up(cpr, "times")
    bounds = eligibility.citizen_bounds(prepared.offer, citizen, now, json_data["to"])
    body = prepared.body(
        now,
        start_from=json_data["from_"],
        until=bounds.until,
        advisor_id=json_data["advisor_id"],
        advisors_allowed=bounds.advisors,
    )
    return _json(body)


@bp.post("/bookings")
@bp.input(BookingIn, location="json")
@bp.output(BookingOut, status_code=201)
@bp.doc(
    summary="Book a time (the citizen's eligibility is checked again on the booking day)",
    description="Staff and machines need to write participants at the offer's job centre." + WHO,
    responses=PROBLEMS | CITIZEN_PROBLEMS,
)
@requires(*access.SELF_WRITE)
def create_booking(json_data: dict[str, Any]) -> dict[str, Any]:
    cpr = access.subject_cpr(json_data)
    now = _now()

    def authorized_offer(session: Session) -> OfferView:
        offer = queries.bookable_offer(session, json_data["offer_id"], now)
        access.authorize_offer(access.WRITE, offer)
        return offer

    offer, citizen = access.look_up_checked(cpr, "booking", authorized_offer)
    context = _context()
    with context.db.transaction() as session:
        booking = operations.book(
            session,
            context.settings,
            offer.id,
            json_data["start"],
            citizen,
            advisor_id=json_data["advisor_id"],
            now=now,
            offer=offer,
        )
        return _booking_out(booking, offer)


@bp.get("/bookings/<uuid:booking_id>")
@bp.output(BookingOut)
@bp.doc(
    summary="One booking (without the citizen's CPR number)",
    description="A citizen reads only their own bookings; staff and machines need to read participants at the "
    "job centre of the booking's offer.",
    responses={404: CHANGE_PROBLEMS[404]},
)
@requires(*access.SELF_READ)
def get_booking(booking_id: uuid.UUID) -> dict[str, Any]:
    with _context().db.transaction() as session:
        booking = operations.get_booking(session, booking_id)
        offer = session.get(OfferView, booking.offer_id)
        access.authorize_booking(access.READ, booking, offer)
        return _booking_out(booking, offer)


@bp.post("/bookings/<uuid:booking_id>/cancel")
@bp.input(CitizenRefIn, location="json")
@bp.output(BookingOut)
@bp.doc(
    summary="Cancel a booking (B-3): only the booking's own citizen, if its terms accepted cancellation",
    description="The time is free again at once. The terms are those of the booking day (V-6)." + WHO,
    responses=CHANGE_PROBLEMS,
)
@requires(*access.SELF_WRITE)
def cancel_booking(booking_id: uuid.UUID, json_data: dict[str, Any]) -> dict[str, Any]:
    given = access.subject_cpr(json_data)
    _check_booking(booking_id, access.WRITE)
    cpr = access.identify(given, "cancel_booking")
    context = _context()
    with context.db.transaction() as session:
        booking = changes.cancel_booking(session, booking_id, cpr, now=_now(), settings=_context().settings)
        return _booking_out(booking, session.get(OfferView, booking.offer_id))


@bp.post("/bookings/<uuid:booking_id>/rebook")
@bp.input(RebookingIn, location="json")
@bp.output(BookingOut, status_code=201)
@bp.doc(
    summary="Move a booking to another time of the same offer (B-4); returns the new booking",
    description="Allowed when the booking's terms allow rebooking, until N days before the meeting (local "
    "dates in the offer's zone: the last day is the meeting's date minus N). The new time follows every rule "
    "of a new booking. The new booking has a new id and reference; the old one gets status 'rebooked'. When "
    "the new time is refused, the old booking is unchanged." + WHO,
    responses=CITIZEN_PROBLEMS | CHANGE_PROBLEMS | {403: f"{CHANGE_PROBLEMS[403]} {CITIZEN_PROBLEMS[403]}"},
)
@requires(*access.SELF_WRITE)
def rebook_booking(booking_id: uuid.UUID, json_data: dict[str, Any]) -> dict[str, Any]:
    cpr = access.subject_cpr(json_data)
    _check_booking(booking_id, access.WRITE)
    citizen = access.look_up(cpr, "rebook_booking")
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


@bp.post("/bookings/<uuid:booking_id>/rebook-seat")
@bp.input(SeatRebookingIn, location="json")
@bp.output(BookingOut, status_code=201)
@bp.doc(
    summary="Move a seat to another meeting of the same group offer (B-4, O-13); returns the new booking",
    description="As /rebook, with a meeting instead of a time; a rebooking citizen may also take the meeting's "
    "extra seats. The old seat is free at once; when the new meeting is refused, nothing changes." + WHO,
    responses=CITIZEN_PROBLEMS | CHANGE_PROBLEMS | {403: f"{CHANGE_PROBLEMS[403]} {CITIZEN_PROBLEMS[403]}"},
)
@requires(*access.SELF_WRITE)
def rebook_seat(booking_id: uuid.UUID, json_data: dict[str, Any]) -> dict[str, Any]:
    cpr = access.subject_cpr(json_data)
    _check_booking(booking_id, access.WRITE)
    citizen = access.look_up(cpr, "rebook_booking")
    context = _context()
    with context.db.transaction() as session:
        booking = changes.rebook_seat(
            session, context.settings, booking_id, json_data["meeting_id"], citizen, now=_now()
        )
        return _booking_out(booking, session.get(OfferView, booking.offer_id))
