"""Input and output schemas of the citizen API (they make the OpenAPI document).

Every instant is ISO-8601 with a UTC offset; a time without one is refused (422).
No output schema has a CPR field. A body names the citizen (``citizen.cpr``) only when staff
or a system acts for one; a logged-in citizen's CPR number comes from the login.
"""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import UUID, AwareDateTime, Boolean, Date, DateTime, Integer, List, Nested, String
from apiflask.validators import Length

CPR_PATTERN = r"^\s*[0-9]{6}-?[0-9]{4}\s*$"
"""The shape of a CPR number, for the OpenAPI document (the date in it is checked too)."""


class OfferOut(Schema):
    id = UUID(required=True)
    name = String(required=True)
    description = String(required=True)
    job_centre_code = String(required=True)
    conversation_type = Integer(required=True)
    variant = String(allow_none=True)
    meeting_form = String(required=True, metadata={"enum": ["individual", "group"]})
    channel = String(required=True, metadata={"enum": ["video", "in_person", "phone"]})
    place = String(allow_none=True)
    phone = String(allow_none=True)
    caller = String(
        allow_none=True,
        metadata={"description": "Phone meetings: 'advisor' calls the citizen, the 'citizen' calls phone.",
                  "enum": ["advisor", "citizen"]},
    )  # fmt: skip
    duration_minutes = Integer(required=True)
    reporting_minutes = Integer(required=True)
    first_meeting_date = Date(required=True)
    end_date = Date(allow_none=True)
    rolling_weeks = Integer(allow_none=True)
    opens_on = Date(required=True)
    timezone = String(required=True)
    advisor_ids = List(UUID(), required=True)
    citizen_may_choose_advisor = Boolean(required=True)
    accept_cancellation = Boolean(required=True)
    rebooking_days_before = Integer(allow_none=True)
    eligibility_required = Boolean(
        required=True,
        metadata={
            "description": "Always true: only citizens who satisfy the offer's participant rules may book it. "
            "POST /api/v1/eligible-offers lists the offers one citizen may book."
        },
    )


class OfferDetailOut(OfferOut):
    """One offer (its own class: apispec registers a schema used both nested and alone twice)."""


class OfferListOut(Schema):
    offers = List(Nested(OfferOut), required=True)


class TimesQuery(Schema):
    from_ = AwareDateTime(
        data_key="from",
        load_default=None,
        metadata={"description": "Only times starting at or after this instant (with UTC offset)."},
    )
    to = AwareDateTime(
        load_default=None, metadata={"description": "Only times starting before this instant (with UTC offset)."}
    )
    advisor_id = UUID(load_default=None, metadata={"description": "Only this advisor's times."})


class TimeOut(Schema):
    start = DateTime(required=True, metadata={"description": "ISO-8601 with the offer's UTC offset."})
    end = DateTime(required=True)
    advisor_id = UUID(
        metadata={"description": "Present only when the citizen may choose the advisor."},
    )


class TimesOut(Schema):
    offer_id = UUID(required=True)
    timezone = String(required=True)
    citizen_may_choose_advisor = Boolean(required=True)
    times = List(Nested(TimeOut), required=True)


class CitizenIn(Schema):
    cpr = String(
        required=True,
        validate=Length(min=1, max=20),
        metadata={
            "description": "CPR number, DDMMYY-SSSS or ten digits (a real date). Confidential: never returned.",
            "pattern": CPR_PATTERN,
        },
    )


ACTING_FOR = (
    "Only when staff or a system acts for a citizen (required then, in the body only). A citizen logged in "
    "acts for themself: the CPR number comes from the login, and a body with 'citizen' is refused (422)."
)


def citizen_field() -> Nested:
    """The optional ``citizen`` of a body (see ``ACTING_FOR``)."""
    return Nested(CitizenIn, load_default=None, allow_none=True, metadata={"description": ACTING_FOR})


class BookingIn(Schema):
    offer_id = UUID(required=True)
    start = AwareDateTime(required=True, metadata={"description": "A start from the offer's times, with UTC offset."})
    advisor_id = UUID(load_default=None, metadata={"description": "Only on offers where the citizen may choose."})
    citizen = citizen_field()


class RebookingIn(Schema):
    start = AwareDateTime(
        required=True, metadata={"description": "The new start, from the offer's times, with UTC offset."}
    )
    advisor_id = UUID(load_default=None, metadata={"description": "Only on offers where the citizen may choose."})
    citizen = citizen_field()


class BookingOut(Schema):
    id = UUID(required=True)
    reference = String(required=True, metadata={"description": "Short code for the citizen and the job centre."})
    offer_id = UUID(required=True)
    offer_name = String()
    advisor_id = UUID(allow_none=True, metadata={"description": "The advisor; null for a seat at a group meeting."})
    group_meeting_id = UUID(allow_none=True, metadata={"description": "The group meeting of a seat; else null."})
    start = DateTime(required=True)
    end = DateTime(required=True)
    created_at = DateTime()
    cancelled_at = DateTime(allow_none=True)
    accept_cancellation = Boolean(metadata={"description": "The offer's term on the booking day (V-6)."})
    rebooking_days_before = Integer(
        allow_none=True,
        metadata={"description": "Movable until this many days before the meeting (local dates); null: never."},
    )
    status = String(
        required=True,
        metadata={"enum": ["active", "cancelled", "rebooked"], "description": "rebooked: moved to rebooked_to."},
    )
    rebooked_to = UUID(allow_none=True, metadata={"description": "The booking this one was moved to."})


class CitizenRefIn(Schema):
    citizen = citizen_field()


class SeatIn(Schema):
    citizen = citizen_field()
    email = String(
        allow_none=True,
        validate=Length(max=254),
        metadata={"description": "Where the citizen gets the confirmation and any cancellation (optional)."},
    )
    override_reason = String(
        allow_none=True,
        validate=Length(max=500),
        metadata={
            "description": "Staff only: why the citizen is added although the offer's rules do not admit "
            "them (V-7); stored with the booking."
        },
    )
    above_capacity = Boolean(
        load_default=False,
        metadata={"description": "Staff only: confirmed that the citizen gets a seat beyond the meeting's seats."},
    )
    on_behalf_of = String(
        allow_none=True,
        validate=Length(min=1, max=100),
        metadata={
            "description": "Systems only (an API key): the person at the calling system who adds the citizen, "
            "recorded with the booking as who did it, with the system."
        },
    )


class SeatRebookingIn(Schema):
    meeting_id = UUID(required=True, metadata={"description": "Another meeting of the same group offer."})
    citizen = citizen_field()


class GroupMeetingOut(Schema):
    id = UUID(required=True)
    start = DateTime(required=True)
    end = DateTime(required=True)
    free_seats = Integer(
        required=True, metadata={"description": "Seats a citizen booking for the first time may still take."}
    )


class GroupMeetingListOut(Schema):
    items = List(Nested(GroupMeetingOut), required=True)


class CitizenTimesIn(CitizenRefIn, TimesQuery):
    """The citizen (staff and machines only) plus the same filters as the public times query."""


class CitizenProfileIn(Schema):
    """One citizen of an import, with the profile import's field names. Documentation only:
    the import is checked by shared.eligibility, which lists every problem with its path.
    Absent or null means the citizen has no such value."""

    cpr = String(
        required=True,
        metadata={
            "description": "DDMMYY-SSSS. Confidential: never returned.",
            "writeOnly": True,
            "pattern": CPR_PATTERN,
        },
    )
    name = String(allow_none=True)
    contact_group = String(allow_none=True, metadata={"description": "A value of the contact-group list."})
    assessment_group = String(allow_none=True, metadata={"description": "A value of the assessment-group list."})
    sick_pay_category = String(allow_none=True, metadata={"description": "1, 2 or 3."})
    person_group_markers = List(String(), metadata={"description": "Marker codes."})
    job_centre = String(allow_none=True, metadata={"description": "5-digit job-centre code."})
    other_actor = Boolean(allow_none=True)
    other_actor_referrals = List(String())
    registration_date = Date(allow_none=True, metadata={"description": "Start of the registration (weeks count)."})
    in_activation = Boolean(allow_none=True)
    unemployment_fund = String(allow_none=True)
    booking_deadline = Date(allow_none=True, metadata={"description": "Personal deadline: no meeting after it."})
    last_meeting_date = Date(allow_none=True, metadata={"description": "Last allowed meeting date."})
    email = String(
        allow_none=True,
        validate=Length(max=254),
        metadata={"description": "The citizen's e-mail address: the default for the confirmation."},
    )


class ImportOut(Schema):
    created = Integer(required=True, metadata={"description": "Citizens not known before."})
    replaced = Integer(required=True, metadata={"description": "Citizens whose profile was replaced."})


class ParticipantsIn(Schema):
    search = String(
        load_default=None,
        allow_none=True,
        validate=Length(max=200),
        metadata={"description": "A name (or part of one, any case) or a CPR number (with or without the hyphen)."},
    )
    reveal = List(
        UUID(),
        load_default=list,
        validate=Length(max=500),
        metadata={"description": "Bookings whose citizen's full CPR number to include (each is logged)."},
    )
    reveal_all = Boolean(
        load_default=False,
        metadata={"description": "Include every listed citizen's full CPR number (an export; each is logged)."},
    )
    meeting_id = UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "Only the seats of this meeting of a group offer (none for another offer's)."},
    )


class ParticipantOut(Schema):
    booking_id = UUID(required=True)
    reference = String(required=True)
    name = String(allow_none=True, metadata={"description": "From the citizen's profile (null if unknown)."})
    cpr_masked = String(required=True, metadata={"description": "Birth date and XXXX, e.g. 150289-XXXX."})
    cpr = String(
        allow_none=True,
        metadata={"description": "The full CPR number (DDMMÅÅ-XXXX), only for the bookings in reveal; else null."},
    )
    contact_group = String(allow_none=True)
    age = Integer(required=True, metadata={"description": "Completed years today, from the CPR number."})
    booking_deadline = Date(allow_none=True, metadata={"description": "The citizen's personal deadline, if any."})
    start = DateTime(required=True)
    end = DateTime(required=True)
    advisor_id = UUID(required=True, allow_none=True, metadata={"description": "Null for a seat at a group meeting."})
    group_meeting_id = UUID(
        required=True, allow_none=True, metadata={"description": "The group meeting of a seat; null for a time."}
    )
    booked_at = DateTime(required=True)


class ParticipantsOut(Schema):
    items = List(Nested(ParticipantOut), required=True)
    total = Integer(required=True)


class MeetingsIn(Schema):
    booking_ids = List(UUID(), required=True, validate=Length(min=1, max=500))


class MeetingOut(Schema):
    booking_id = UUID(required=True)
    offer_id = UUID(required=True)
    reference = String(required=True)
    name = String(allow_none=True, metadata={"description": "The citizen's name (null if unknown)."})
    email = String(allow_none=True, metadata={"description": "Where the citizen gets e-mail about the meeting."})
    start = DateTime(required=True)
    end = DateTime(required=True)
    cancelled = Boolean(required=True)


class MeetingsOut(Schema):
    items = List(Nested(MeetingOut), required=True)
