"""Input and output schemas of the offers API's admin data (job centres, teams, rooms,
advisors), the problem document and the Danish field helpers the other ``schemas_*``
modules use (offers: ``schemas_offers``); together they make /openapi.json complete.

Schemas check only the shape of a request (types, required fields) with Danish messages;
the rules of the domain are checked by the operations, so they hold for every caller.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields
from apiflask.validators import OneOf
from marshmallow.fields import Field

from services.offers.schemas_calendar import CalendarHealthOut
from shared.working_time import OPTIONAL_DAYS

_MESSAGES: dict[type[Field], str] = {
    fields.Integer: "Skal være et helt tal.",
    fields.Boolean: "Skal være sand eller falsk (true/false).",
    fields.Date: "Skal være en dato (ÅÅÅÅ-MM-DD).",
    fields.List: "Skal være en liste.",
    fields.Dict: "Skal være et objekt.",
    fields.String: "Skal være tekst.",
}


def _danish(field: Field) -> None:
    messages = field.error_messages
    messages.update(required="Feltet skal udfyldes.", null="Feltet må ikke være tomt.")
    messages.update(validator_failed="Ugyldig værdi.", invalid_uuid="Skal være et gyldigt id (UUID).")
    messages.update(too_large="Tallet er for stort.", invalid_utf8="Skal være gyldig UTF-8-tekst.")
    for kind, message in _MESSAGES.items():
        if isinstance(field, kind):
            messages["invalid"] = message
            break
    if isinstance(field, fields.List):
        _danish(field.inner)


class DanishSchema(Schema):
    """Unknown fields are refused; every message is Danish."""

    error_messages = {"unknown": "Ukendt felt.", "type": "Forventede et JSON-objekt."}  # noqa: RUF012

    def on_bind_field(self, field_name: str, field_obj: Field) -> None:
        _danish(field_obj)


def text_field(description: str, *, required: bool = False, max_length: int | None = None, **kw: Any) -> fields.String:
    meta: dict[str, Any] = {"description": description}
    if max_length:
        meta["maxLength"] = max_length
    return fields.String(required=required, allow_none=not required, metadata=meta, **kw)


def int_field(description: str, *, required: bool = False, minimum: int | None = None, **kw: Any) -> fields.Integer:
    meta: dict[str, Any] = {"description": description}
    if minimum is not None:
        meta["minimum"] = minimum
    return fields.Integer(strict=True, required=required, allow_none=not required, metadata=meta, **kw)


def id_field(description: str, *, required: bool = False) -> fields.UUID:
    return fields.UUID(required=required, allow_none=not required, metadata={"description": description})


def date_field(description: str, *, required: bool = False) -> fields.Date:
    return fields.Date(required=required, allow_none=not required, metadata={"description": description})


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


class CalendarConflictQuery(DanishSchema):
    advisor_id = id_field("Kun konflikter for denne vejleder.")
    include_resolved = fields.Boolean(
        load_default=False, metadata={"description": "true: også konflikter, der er løst igen (standard false)."}
    )


class SyncRequested(Schema):
    advisor_id = fields.UUID()
    status = fields.String(metadata={"description": "'requested': the worker re-reads the calendar soon."})
