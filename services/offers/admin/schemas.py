"""Input and output schemas of the admin data: job centres and their closing days, teams,
rooms and advisors (Danish descriptions; the rules are checked by the operations)."""

from __future__ import annotations

from apiflask import Schema, fields
from apiflask.validators import OneOf

from services.offers.calendars.schemas import CalendarHealthOut
from services.offers.models import CONVERSATION_CODES
from services.offers.schemas import DanishSchema, date_field, id_field, int_field, text_field
from shared.working_time import OPTIONAL_DAYS

# --- job centres and closing days -----------------------------------------------------------------


OPTIONAL_DAYS_FIELD = fields.List(
    fields.String(validate=OneOf(sorted(OPTIONAL_DAYS))),
    metadata={
        "description": "Which of constitution_day (5 June), christmas_eve and new_years_eve the centre is closed on "
        "(default all three)."
    },
)


class JobCentreIn(DanishSchema):
    code = text_field("Five-digit job centre code, unique.", required=True, max_length=5)
    name = text_field("Name of the job centre.", required=True, max_length=200)
    timezone = text_field("IANA time zone of the centre (default Europe/Copenhagen).")
    parent_id = id_field("The job centre this one is a sub-job-centre of.")
    region = text_field("Region (reference list 'regions'; default the parent's): decides the region markers it sees.")
    closed_optional_days = OPTIONAL_DAYS_FIELD


class JobCentrePatch(DanishSchema):
    closed_optional_days = OPTIONAL_DAYS_FIELD


class ClosingDayIn(DanishSchema):
    day = date_field("A day the job centre is closed (today or later).", required=True)
    reason = text_field("Why it is closed (default 'Lukkedag').", max_length=200)


class CentreClosingDay(Schema):
    day = fields.Date()
    reason = fields.String()


class ClosingDayOut(CentreClosingDay):
    id = fields.UUID()
    job_centre_id = fields.UUID()


class VariantIn(DanishSchema):
    conversation_type = fields.Integer(
        strict=True,
        required=True,
        metadata={
            "description": "Conversation type code: one of GET /api/v1/conversation-types that is not retired.",
            "minimum": CONVERSATION_CODES[0],
            "maximum": CONVERSATION_CODES[1],
        },
    )
    name = text_field("The variant's name, e.g. 'Opstart' (one per type and centre).", required=True, max_length=100)


class VariantOut(Schema):
    id = fields.UUID()
    job_centre_id = fields.UUID()
    conversation_type = fields.Integer()
    conversation_type_name = fields.String()
    name = fields.String()
    created_at = fields.DateTime()


class VariantList(Schema):
    items = fields.List(fields.Nested(VariantOut))


class JobCentreOut(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    timezone = fields.String()
    region = fields.String(allow_none=True)
    parent_id = fields.UUID(allow_none=True)
    closing_days = fields.List(fields.Nested(CentreClosingDay), metadata={"description": "Its own closing days (A-3)."})
    closed_optional_days = fields.List(fields.String())
    created_at = fields.DateTime()


class JobCentreList(Schema):
    items = fields.List(fields.Nested(JobCentreOut))


class CentreFilter(DanishSchema):
    job_centre_id = id_field("Only those of this job centre.")


# --- teams and rooms ---------------------------------------------------------------------------------


class TeamIn(DanishSchema):
    job_centre_id = id_field("The job centre of the team.", required=True)
    name = text_field("Name of the team.", required=True, max_length=200)
    phone = text_field("The team's phone number (fallback for phone offers, O-4).", max_length=30)


class TeamOut(Schema):
    id = fields.UUID()
    job_centre_id = fields.UUID()
    name = fields.String()
    phone = fields.String(allow_none=True)
    created_at = fields.DateTime()


class TeamPatch(TeamIn):
    """Only the fields given change (use with ``partial=True``); a null phone removes it."""

    class Meta:
        exclude = ("job_centre_id",)


class TeamList(Schema):
    items = fields.List(fields.Nested(TeamOut))


class RoomIn(DanishSchema):
    job_centre_id = id_field("The job centre of the room.", required=True)
    name = text_field("Name of the room.", required=True, max_length=200)
    address = text_field("Address (the default place of in-person offers in this room).", required=True, max_length=300)
    capacity = int_field("Seats in the room (at least 1).", required=True, minimum=1)


class RoomOut(Schema):
    id = fields.UUID()
    job_centre_id = fields.UUID()
    name = fields.String()
    address = fields.String()
    capacity = fields.Integer()
    created_at = fields.DateTime()


class RoomPatch(RoomIn):
    """Only the fields given change (use with ``partial=True``)."""

    class Meta:
        exclude = ("job_centre_id",)


class RoomList(Schema):
    items = fields.List(fields.Nested(RoomOut))


# --- advisors -------------------------------------------------------------------------------------------

_HOURS = (
    'Weekly working hours per weekday (mon..sun), local "HH:MM" ranges; a gap is a break. '
    'Example: {"mon": [["08:00", "12:00"], ["12:30", "15:30"]]}'
)


_EXCEPTIONS = (
    'Working time on single dates instead of the weekly hours: {"2026-12-22": [["09:00", "11:00"]], '
    '"2026-12-23": []} (an empty list is a day off).'
)


class AdvisorIn(DanishSchema):
    job_centre_id = id_field("The job centre of the advisor.", required=True)
    name = text_field("Name of the advisor.", required=True, max_length=200)
    email = text_field("E-mail address.", max_length=254)
    phone = text_field("Phone number (default phone of the advisor's phone offers, O-4).", max_length=30)
    timezone = text_field("IANA time zone (default: the job centre's).")
    working_hours = fields.Dict(
        keys=fields.String(), values=fields.Raw(), required=True, metadata={"description": _HOURS}
    )
    working_exceptions = fields.Dict(
        keys=fields.String(), values=fields.Raw(), allow_none=True, metadata={"description": _EXCEPTIONS}
    )
    caldav_url = text_field("URL of the advisor's CalDAV calendar.", max_length=1000)
    caldav_username = text_field("CalDAV user name.", max_length=200)
    caldav_password = fields.String(
        load_only=True,
        allow_none=True,
        metadata={
            "description": "CalDAV password. Write-only: stored encrypted, never returned; null removes it.",
            "writeOnly": True,
            "format": "password",
        },
    )
    team_ids = fields.List(fields.UUID(), metadata={"description": "Teams (same job centre)."})


class AdvisorPatch(AdvisorIn):
    """Only the fields given change (use with ``partial=True``)."""

    class Meta:
        exclude = ("job_centre_id",)


class AdvisorOut(Schema):
    id = fields.UUID()
    job_centre_id = fields.UUID()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    timezone = fields.String()
    working_hours = fields.Dict(metadata={"description": _HOURS})
    working_exceptions = fields.Dict(metadata={"description": _EXCEPTIONS})
    caldav_url = fields.String(allow_none=True)
    caldav_username = fields.String(allow_none=True)
    has_caldav_password = fields.Boolean(metadata={"description": "Whether a calendar password is stored."})
    team_ids = fields.List(fields.UUID())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    calendar_health = fields.Nested(
        CalendarHealthOut, metadata={"description": "Kalenderens tilstand, som kalendersynkroniseringen meldte den."}
    )


class AdvisorList(Schema):
    items = fields.List(fields.Nested(AdvisorOut))


class AdvisorFilter(CentreFilter):
    team_id = id_field("Only members of this team.")


class SyncRequested(Schema):
    advisor_id = fields.UUID()
    status = fields.String(metadata={"description": "'requested': the worker re-reads the calendar soon."})


# --- conversation types (A-2) -------------------------------------------------------------------------------


class ConversationTypeIn(DanishSchema):
    name = text_field("The type's name, unique among the types.", required=True, max_length=100)
    retired = fields.Boolean(
        metadata={"description": "true: not chosen for new offers or variants; offers keep it (default false)."}
    )


class ConversationTypeOut(Schema):
    code = fields.Integer(metadata={"description": "The code in the public code lists."})
    name = fields.String()
    retired = fields.Boolean()
    offers = fields.Integer(metadata={"description": "How many offers have the type."})
    changed_at = fields.DateTime()
    changed_by = fields.String(allow_none=True)


class ConversationTypeList(Schema):
    items = fields.List(fields.Nested(ConversationTypeOut))
