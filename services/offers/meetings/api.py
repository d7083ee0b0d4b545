"""JSON routes of a group offer's meetings (fællesmøder, O-12, V-7): list, add, change
(move, seats) and cancel."""

from __future__ import annotations

import uuid
from typing import Any

from services.offers.access import authorized
from services.offers.blueprint import NO_OFFER, OFFERS, READ_OFFERS, WRITE_OFFERS, bp, editor, stale_after, transaction
from services.offers.meetings import operations
from services.offers.meetings import schemas as sm
from services.offers.models import Offer, Room
from shared.auth.web import requires

GROUP_ONLY = {409: "The offer is an individual one, or the meeting is cancelled", 404: "No such offer or meeting"}


def _answer(session: Any, offer_id: uuid.UUID, meeting: Any) -> dict[str, Any]:
    offer = session.get(Offer, offer_id)
    room = session.get(Room, offer.room_id) if offer.room_id else None
    return operations.meeting_json(offer, meeting, room)


@bp.get("/offers/<uuid:offer_id>/meetings")
@bp.output(sm.MeetingList)
@bp.doc(summary="The meetings of a group offer, cancelled ones too (O-12)", tags=[OFFERS])
@requires(READ_OFFERS)
def list_meetings(offer_id: uuid.UUID) -> dict[str, Any]:
    with transaction() as session:
        offer = authorized(session, Offer, offer_id, NO_OFFER, READ_OFFERS)
        return {"items": operations.meetings_json(session, offer)}


@bp.post("/offers/<uuid:offer_id>/meetings")
@bp.input(sm.MeetingIn, arg_name="body")
@bp.output(sm.MeetingOut, status_code=201)
@bp.doc(
    summary="Add a meeting to a group offer at a time when all its advisors are free (O-12)",
    description="Seats: a number, or none for the room's capacity; extra seats are kept for citizens who rebook.",
    tags=[OFFERS],
    responses={**GROUP_ONLY, 422: "The start or the seats are not valid (errors lists each)"},
)
@requires(WRITE_OFFERS)
def add_meeting(offer_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        authorized(session, Offer, offer_id, NO_OFFER, WRITE_OFFERS)
        data = {**body, "start": body["start"].isoformat()}
        meeting = operations.add_meeting(session, offer_id, data, editor=editor(), stale_after=stale_after())
        return _answer(session, offer_id, meeting)


@bp.patch("/offers/<uuid:offer_id>/meetings/<uuid:meeting_id>")
@bp.input(sm.MeetingPatch, arg_name="body")
@bp.output(sm.MeetingOut)
@bp.doc(summary="Move a meeting or change its seats (V-7)", tags=[OFFERS], responses={**GROUP_ONLY, 422: "Not valid"})
@requires(WRITE_OFFERS)
def change_meeting(offer_id: uuid.UUID, meeting_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        authorized(session, Offer, offer_id, NO_OFFER, WRITE_OFFERS)
        data = {**body, "start": body["start"].isoformat()} if "start" in body else dict(body)
        meeting = operations.change_meeting(
            session, offer_id, meeting_id, data, editor=editor(), stale_after=stale_after()
        )
        return _answer(session, offer_id, meeting)


@bp.post("/offers/<uuid:offer_id>/meetings/<uuid:meeting_id>/cancel")
@bp.output(sm.MeetingOut)
@bp.doc(summary="Cancel a meeting (its row and log stay)", tags=[OFFERS], responses=GROUP_ONLY)
@requires(WRITE_OFFERS)
def cancel_meeting(offer_id: uuid.UUID, meeting_id: uuid.UUID) -> dict[str, Any]:
    with transaction() as session:
        authorized(session, Offer, offer_id, NO_OFFER, WRITE_OFFERS)
        meeting = operations.cancel_meeting(session, offer_id, meeting_id, editor=editor())
        return _answer(session, offer_id, meeting)
