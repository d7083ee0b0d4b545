"""The waiting list of a full group meeting in the API (afventerliste, issue 14): join it,
take the seat held for you, leave it; and staff's view of a meeting's list. Thin: parse,
call ``waiting_list``, serialise. Who may call what is as for seats (``api``'s docstring):
a logged-in citizen acts for themself, staff and machines name the citizen in the body.
"""

from __future__ import annotations

import uuid
from typing import Any

from apiflask import Schema
from apiflask.fields import UUID, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf
from sqlalchemy import select

from services.booking import access, seats, waiting_list
from services.booking.api import CITIZEN_PROBLEMS, PROBLEMS, WHO, _booking_out, _context, _now, bp
from services.booking.models import CitizenProfileRow, OfferView, WaitingListEntry
from services.booking.schemas import BookingOut, CitizenRefIn, citizen_field
from shared.auth.web import authorize, requires
from shared.errors import NotFound
from shared.timeutil import zone

STATUSES = ["waiting", "offered", "booked", "expired", "left", "closed"]
LIST_PROBLEMS = {
    404: "Tilbuddet, mødet eller pladsen på ventelisten findes ikke, er ikke borgerens, eller ligger ved et "
    "jobcenter, hvor du ingen rolle har (problem document).",
    409: "Mødet har ledige pladser, borgeren har en plads eller står på ventelisten i tilbuddet, pladsen er ikke "
    "længere holdt til borgeren, eller borgeren står ikke længere på listen (problem document).",
}


class WaitingListIn(Schema):
    citizen = citizen_field()
    email = String(
        required=True,
        validate=Length(min=1, max=254),
        metadata={"description": "Where a freed seat is offered (required: the offer comes by e-mail)."},
    )


class WaitingListEntryOut(Schema):
    id = UUID(required=True)
    offer_id = UUID(required=True)
    meeting_id = UUID(required=True)
    status = String(required=True, validate=OneOf(STATUSES), metadata={"enum": STATUSES})
    position = Integer(
        required=True, metadata={"description": "Place in line while waiting (1: next); 0 when not waiting."}
    )
    joined_at = DateTime(required=True)
    offer_expires_at = DateTime(
        allow_none=True, metadata={"description": "While offered: the seat is held for the citizen until then."}
    )


class StaffWaitingListItem(Schema):
    id = UUID(required=True)
    position = Integer(required=True, metadata={"description": "Place in line; 0 for the one offered a seat."})
    status = String(required=True, validate=OneOf(["waiting", "offered"]), metadata={"enum": ["waiting", "offered"]})
    name = String(allow_none=True, metadata={"description": "The citizen's name (null if unknown)."})
    cpr_masked = String(required=True, metadata={"description": "DDMMYY-XXXX: the number is not given in full."})
    email = String(required=True)
    joined_at = DateTime(required=True)
    offer_expires_at = DateTime(allow_none=True)


class StaffWaitingListOut(Schema):
    items = List(Nested(StaffWaitingListItem), required=True)


def _entry_out(session: Any, entry: WaitingListEntry, timezone: str | None) -> dict[str, Any]:
    tz = zone(timezone)
    return {
        "id": entry.id,
        "offer_id": entry.offer_id,
        "meeting_id": entry.group_meeting_id,
        "status": entry.status,
        "position": waiting_list.position(session, entry),
        "joined_at": entry.joined_at.astimezone(tz),
        "offer_expires_at": entry.offer_expires_at.astimezone(tz) if entry.offer_expires_at else None,
    }


def _check_entry(entry_id: uuid.UUID) -> None:
    """Staff: writing participants at the entry's offer's centre (404 as if unknown, or 403)."""
    with _context().db.transaction() as session:
        entry = session.get(WaitingListEntry, entry_id)
        offer = session.get(OfferView, entry.offer_id) if entry is not None else None
        if offer is None:
            raise NotFound(waiting_list.NOT_ON_LIST, code="not_on_waiting_list")
        access.authorize_offer(access.WRITE, offer)


@bp.post("/offers/<uuid:offer_id>/meetings/<uuid:meeting_id>/waiting-list")
@bp.input(WaitingListIn, location="json")
@bp.output(WaitingListEntryOut, status_code=201)
@bp.doc(
    summary="Join the waiting list of a full group meeting (afventerliste)",
    description="Only when no seat is left for the citizen, under the rules of a seat booking. A freed seat is "
    "held for the first on the list and offered by e-mail for PLANNER_WAITING_LIST_HOLD_HOURS; then it passes "
    "to the next." + WHO,
    responses=CITIZEN_PROBLEMS | LIST_PROBLEMS,
)
@requires(*access.SELF_WRITE)
def join_waiting_list(offer_id: uuid.UUID, meeting_id: uuid.UUID, json_data: dict[str, Any]) -> dict[str, Any]:
    cpr, now = access.subject_cpr(json_data), _now()

    def authorized_offer(session: Any) -> OfferView:
        known = session.get(OfferView, offer_id)
        if known is not None:
            access.authorize_offer(access.WRITE, known)
        return seats.bookable_group_offer(session, offer_id, now)

    offer, citizen = access.look_up_checked(cpr, "waiting_list", authorized_offer)
    context = _context()
    with context.db.transaction() as session:
        entry = waiting_list.join_waiting_list(
            session, context.settings, offer.id, meeting_id, citizen, json_data["email"], now
        )
        return _entry_out(session, entry, offer.timezone)


@bp.post("/waiting-list/<uuid:entry_id>/take")
@bp.input(CitizenRefIn, location="json")
@bp.output(BookingOut, status_code=201)
@bp.doc(
    summary="Take the seat held for the citizen from the waiting list; returns the booking",
    description="Every rule of a seat booking is checked again. 409 (seat_offer_expired) when no seat is held "
    "for the citizen (any more)." + WHO,
    responses=CITIZEN_PROBLEMS | LIST_PROBLEMS,
)
@requires(*access.SELF_WRITE)
def take_offered_seat(entry_id: uuid.UUID, json_data: dict[str, Any]) -> dict[str, Any]:
    cpr = access.subject_cpr(json_data)
    _check_entry(entry_id)
    citizen = access.look_up(cpr, "waiting_list")
    context = _context()
    with context.db.transaction() as session:
        booking = waiting_list.take_offered_seat(session, context.settings, entry_id, citizen, _now())
        return _booking_out(booking, session.get(OfferView, booking.offer_id))


@bp.post("/waiting-list/<uuid:entry_id>/leave")
@bp.input(CitizenRefIn, location="json")
@bp.output(WaitingListEntryOut)
@bp.doc(
    summary="Leave the waiting list; a seat held for the citizen goes to the next at once",
    responses={
        404: LIST_PROBLEMS[404],
        409: "Borgeren står ikke længere på listen (problem document).",
        422: CITIZEN_PROBLEMS[422],
    },
)
@requires(*access.SELF_WRITE)
def leave_waiting_list(entry_id: uuid.UUID, json_data: dict[str, Any]) -> dict[str, Any]:
    cpr = access.subject_cpr(json_data)
    _check_entry(entry_id)
    checked = access.identify(cpr, "waiting_list")
    context = _context()
    with context.db.transaction() as session:
        entry = waiting_list.leave_waiting_list(session, context.settings, entry_id, checked, _now())
        offer = session.get(OfferView, entry.offer_id)
        return _entry_out(session, entry, offer.timezone if offer else None)


@bp.get("/offers/<uuid:offer_id>/meetings/<uuid:meeting_id>/waiting-list")
@bp.output(StaffWaitingListOut)
@bp.doc(
    summary="The waiting list of a group meeting (staff): who waits, in line, and who a seat is held for",
    description="Needs reading participants at the offer's job centre. CPR numbers are masked.",
    responses={404: PROBLEMS[404]},
)
@requires(access.READ)
def staff_waiting_list(offer_id: uuid.UUID, meeting_id: uuid.UUID) -> dict[str, Any]:
    context, vault = _context(), access.cpr_vault()
    with context.db.transaction() as session:
        offer = session.get(OfferView, offer_id)
        if offer is None:
            raise NotFound("Tilbuddet findes ikke.")
        authorize(access.READ, offer.job_centre_code, not_found="Tilbuddet findes ikke.")
        entries = [e for e in waiting_list.entries_of(session, meeting_id) if e.offer_id == offer.id]
        names = dict(
            session.execute(
                select(CitizenProfileRow.cpr_index, CitizenProfileRow.name).where(
                    CitizenProfileRow.cpr_index.in_([e.citizen_cpr_index for e in entries])
                )
            ).all()
        )
        tz, items, place = zone(offer.timezone), [], 0
        for entry in entries:
            place += entry.status == "waiting"
            items.append({
                "id": entry.id, "position": place if entry.status == "waiting" else 0, "status": entry.status,
                "name": names.get(entry.citizen_cpr_index),
                "cpr_masked": vault.unseal(entry.citizen_cpr_sealed).masked(),
                "email": entry.email, "joined_at": entry.joined_at.astimezone(tz),
                "offer_expires_at": entry.offer_expires_at.astimezone(tz) if entry.offer_expires_at else None,
            })  # fmt: skip
        return {"items": items}
