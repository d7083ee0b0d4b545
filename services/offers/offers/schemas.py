"""Input and output schemas of offers (wizard steps 1, 2a and 4; O-1 to O-10) and of the
offer list (V-1, V-2); Danish messages and descriptions as in ``schemas``."""

from __future__ import annotations

from apiflask import Schema, fields
from apiflask.validators import Length, OneOf, Range

from services.offers.models import CALLERS, CHANNELS, CONVERSATION_CODES, MEETING_FORMS
from services.offers.offers.queries import OFFER_SORTS
from services.offers.rules.schemas import routes_field, rules_field
from services.offers.schemas import DanishSchema, date_field, id_field, int_field, text_field

_TYPES = "one of GET /api/v1/conversation-types that is not retired (an offer may keep a retired one)"
UNKNOWN_TYPE = "Ukendt samtaletype."
_CODES = {"minimum": CONVERSATION_CODES[0], "maximum": CONVERSATION_CODES[1]}


class OfferIn(DanishSchema):
    job_centre_id = id_field("Job centre (default: the team's).")
    name = text_field("Name shown to citizens (O-1).", required=True, max_length=200)
    description = text_field("Plain text, at most 500 characters (O-1).", max_length=500)
    conversation_type = fields.Integer(
        strict=True, required=True, metadata={"description": f"Conversation type code (A-2): {_TYPES}."} | _CODES
    )
    variant = text_field("Conversation type variant (optional).", max_length=100)
    meeting_form = fields.String(
        required=True,
        metadata={
            "description": "'individual' (individuel samtale) or 'group' (fællesmøde: its meetings are added with "
            "POST /api/v1/offers/{offer_id}/meetings; no phone channel, no fixed end date, a name that stays).",
            "enum": MEETING_FORMS,
        },
    )
    channel = fields.String(
        required=True,
        metadata={"description": "video (digitalt), in_person (personlig kontakt), phone (telefon).", "enum": CHANNELS},
    )
    place = text_field("Address of an in-person meeting (default: the room's address).", max_length=300)
    phone = text_field("Phone number of a phone meeting (default: first advisor's, else team's, O-4).", max_length=30)
    caller = fields.String(
        allow_none=True,
        metadata={
            "description": "Phone meetings (O-4): 'advisor' calls the citizen (default; the number is the one they "
            "call from) or the 'citizen' calls the number. Ignored for other channels.",
            "enum": list(CALLERS),
        },
    )
    duration_minutes = int_field("Meeting length in minutes (O-6).", required=True, minimum=1)
    reporting_minutes = int_field("Reporting time after the meeting, minutes (O-6; default 0).", minimum=0)
    start_minutes = fields.List(
        fields.Integer(strict=True),
        metadata={
            "description": "Individual offers: allowed start minutes in the hour, a subset of {0, 15, 20, 30, 40, 45} "
            "(O-7; required). Group offers have none."
        },
    )
    first_meeting_date = date_field("Individual offers: first day a meeting can take place (O-8; required).")
    end_date = date_field("Fixed end date, inclusive (optional, not before the first meeting date).")
    rolling_weeks = int_field("Rolling end: whole weeks from the day the citizen books (optional).", minimum=1)
    opens_on = date_field("Day the offer becomes visible to citizens (default today).")
    team_id = id_field("The team (O-9).", required=True)
    room_id = id_field("Meeting room (optional).")
    advisor_ids = fields.List(fields.UUID(), required=True, metadata={"description": "One or more advisors, in order."})
    citizen_may_choose_advisor = fields.Boolean(allow_none=True, metadata={"description": "Default false."})
    accept_cancellation = fields.Boolean(allow_none=True, metadata={"description": "Default true (O-10)."})
    rebooking_days_before = int_field(
        "null: no rebooking; else rebooking allowed until N days before (O-10).", minimum=0
    )
    active = fields.Boolean(allow_none=True, metadata={"description": "Shown to citizens (V-5). Default true."})
    rules = rules_field(required=True)
    marker_routes = routes_field()


class OfferPatch(OfferIn):
    """Only the fields given change (use with ``partial=True``); the offer is checked as a whole."""

    class Meta:
        exclude = ("job_centre_id",)


class OfferOut(Schema):
    id = fields.UUID()
    job_centre_id = fields.UUID()
    name = fields.String()
    description = fields.String()
    conversation_type = fields.Integer()
    conversation_type_name = fields.String(allow_none=True)
    variant = fields.String(allow_none=True)
    meeting_form = fields.String()
    channel = fields.String()
    place = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    caller = fields.String(allow_none=True, metadata={"enum": list(CALLERS)})
    duration_minutes = fields.Integer()
    reporting_minutes = fields.Integer()
    start_minutes = fields.List(fields.Integer())
    first_meeting_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    rolling_weeks = fields.Integer(allow_none=True)
    opens_on = fields.Date()
    team_id = fields.UUID()
    room_id = fields.UUID(allow_none=True)
    advisor_ids = fields.List(fields.UUID())
    citizen_may_choose_advisor = fields.Boolean()
    accept_cancellation = fields.Boolean()
    rebooking_days_before = fields.Integer(allow_none=True)
    active = fields.Boolean()
    rules = fields.Raw(allow_none=True, metadata={**rules_field().metadata, "nullable": True})
    marker_routes = fields.Raw(metadata=routes_field().metadata)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(metadata={"description": "Last changed (V-3)."})
    updated_by = fields.String(
        allow_none=True,
        metadata={
            "description": "Who changed it last: the signed-in staff member (staff:<user id>) or system "
            "(machine:<client id>)."
        },
    )


class OfferList(Schema):
    items = fields.List(fields.Nested(OfferOut))


class OfferQuery(DanishSchema):
    sort = fields.String(
        load_default="name",
        validate=OneOf(OFFER_SORTS, error="Sortér efter en af: " + ", ".join(OFFER_SORTS) + "."),
        metadata={"description": "Column to sort by (V-1)."},
    )
    order = fields.String(
        load_default="asc", validate=OneOf(("asc", "desc"), error="Rækkefølgen skal være asc eller desc.")
    )
    active = fields.Boolean(metadata={"description": "true: active offers only; false: inactive only."})
    job_centre_id = fields.UUID()
    team_id = fields.UUID()
    conversation_type = fields.Integer(
        validate=Range(*CONVERSATION_CODES, error=UNKNOWN_TYPE),
        metadata={"description": "Conversation type code (GET /api/v1/conversation-types)."} | _CODES,
    )
    meeting_form = fields.String(
        validate=OneOf(MEETING_FORMS, error="Mødeformen skal være en af: " + ", ".join(MEETING_FORMS) + "."),
        metadata={"enum": MEETING_FORMS},
    )
    channel = fields.String(
        validate=OneOf(CHANNELS, error="Kanalen skal være en af: " + ", ".join(CHANNELS) + "."),
        metadata={"enum": CHANNELS},
    )
    name = fields.String(
        validate=Length(max=200, error="Højst 200 tegn."), metadata={"description": "Part of the name (any case)."}
    )
    contact_group = fields.String(
        validate=Length(max=200, error="Højst 200 tegn."),
        metadata={"description": "Only offers for this contact group: their rules name it with 'lig med' (V-2)."},
    )


class TemplateIn(DanishSchema):
    job_centre_id = id_field("The job centre whose planners use the template.", required=True)
    name = text_field("The template's name (unique at the centre).", required=True, max_length=200)
    template_fields = fields.Dict(
        required=True,
        data_key="fields",
        attribute="fields",
        metadata={
            "description": "Any of an offer's fields as POST /offers takes them, but its dates and 'active'; "
            "every field optional (A-4)."
        },
    )


class TemplateOut(Schema):
    id = fields.UUID()
    job_centre_id = fields.UUID()
    name = fields.String()
    template_fields = fields.Dict(data_key="fields", attribute="fields")
    created_at = fields.DateTime()
    created_by_name = fields.String(allow_none=True)


class TemplateList(Schema):
    items = fields.List(fields.Nested(TemplateOut))


class TemplateQuery(Schema):
    job_centre_id = fields.UUID(metadata={"description": "Only this job centre's templates."})
