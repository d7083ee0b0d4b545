"""Input and output schemas of a group offer's meetings (O-12, V-7); the operations check
the rules and answer in Danish."""

from __future__ import annotations

from apiflask import Schema, fields

from services.offers.meetings.operations import EXAMPLE, MOST_SEATS
from services.offers.schemas import DanishSchema


class MeetingIn(DanishSchema):
    start = fields.AwareDateTime(
        required=True,
        metadata={
            "description": f"When it starts, with its UTC offset (e.g. {EXAMPLE}): a time when every advisor "
            "of the offer is free (GET /api/v1/group-meeting-times)."
        },
    )
    seats = fields.Integer(
        strict=True,
        allow_none=True,
        metadata={
            "description": "How many citizens it holds; absent or null: the room's capacity.",
            "minimum": 1,
            "maximum": MOST_SEATS,
        },
    )
    extra_seats = fields.Integer(
        strict=True,
        metadata={
            "description": "Seats kept for citizens who rebook (O-13); default 0.",
            "minimum": 0,
            "maximum": MOST_SEATS,
        },
    )


class MeetingPatch(MeetingIn):
    start = fields.AwareDateTime(metadata={"description": "A new start (moves the meeting)."})


class MeetingOut(Schema):
    id = fields.UUID()
    offer_id = fields.UUID()
    start = fields.DateTime()
    end = fields.DateTime()
    seats = fields.Integer(metadata={"description": "The seats it holds, without the extra seats."})
    room_capacity = fields.Boolean(metadata={"description": "true: the seats follow the room's capacity."})
    extra_seats = fields.Integer()
    cancelled_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class MeetingList(Schema):
    items = fields.List(fields.Nested(MeetingOut))
