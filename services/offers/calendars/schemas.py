"""Schemas of what staff see about the calendars: health, conflicts and the free times of
a group meeting (O-12) (Danish descriptions, times as ISO 8601 with their UTC offset)."""

from __future__ import annotations

from apiflask import Schema, fields
from apiflask.validators import Length, Range

from services.offers.schemas import DanishSchema, id_field

HEALTH_STATUSES = ("ok", "stale", "error", "unknown")


def _time(description: str, *, allow_none: bool = True, attribute: str | None = None) -> fields.DateTime:
    return fields.DateTime(allow_none=allow_none, attribute=attribute, metadata={"description": description})


class CalendarHealthOut(Schema):
    last_attempt_at = _time("Hvornår kalenderen sidst blev forsøgt læst (null: aldrig).")
    last_success_at = _time("Hvornår kalenderen sidst blev læst uden fejl (null: aldrig).")
    last_error = fields.String(
        allow_none=True, metadata={"description": "Fejlen ved det seneste forsøg, hvis det mislykkedes (ellers null)."}
    )
    stale = fields.Boolean(
        metadata={
            "description": "Sand, når kalenderdata er for gamle (ældre end PLANNER_CALENDAR_STALE_AFTER_SECONDS): "
            "vejlederens tider er da trukket tilbage i stedet for at blive gættet."
        }
    )
    status = fields.String(
        metadata={
            "description": "ok: læst for nylig; stale: data for gamle, ingen tider tilbydes; error: seneste læsning "
            "fejlede, men data er endnu friske nok; unknown: kalenderen er ikke læst endnu.",
            "enum": HEALTH_STATUSES,
        }
    )


class CalendarConflictOut(Schema):
    booking_id = fields.UUID(metadata={"description": "Bookingen, som vejlederens egen kalender nu overlapper."})
    advisor_id = fields.UUID(metadata={"description": "Vejlederen, hvis kalender har fået en aftale over mødet."})
    start = _time("Mødets start.", allow_none=False, attribute="start_at")
    end = _time("Mødets slut (eksklusiv).", allow_none=False, attribute="end_at")
    detected_at = _time("Hvornår konflikten blev opdaget.", allow_none=False)
    resolved_at = _time("Hvornår overlappet forsvandt igen (null: konflikten er åben).")
    status = fields.String(
        metadata={"description": "open: konflikten er åben; resolved: overlappet er væk.", "enum": ["open", "resolved"]}
    )


class CalendarConflictList(Schema):
    items = fields.List(
        fields.Nested(CalendarConflictOut),
        metadata={"description": "Konflikterne, tidligste møde først. Bookingen flyttes eller slettes aldrig."},
    )


class CalendarConflictQuery(DanishSchema):
    advisor_id = id_field("Kun konflikter for denne vejleder.")
    include_resolved = fields.Boolean(
        load_default=False, metadata={"description": "true: også konflikter, der er løst igen (standard false)."}
    )


# --- group meetings (O-12) ---

ALLOWED = [0, 15, 20, 30, 40, 45]


class GroupMeetingTimesQuery(DanishSchema):
    advisor_id = fields.List(
        fields.UUID(),
        required=True,
        validate=Length(min=1, max=20, error="Vælg mellem 1 og 20 vejledere."),
        metadata={"description": "Mødets vejledere (gentag parameteren for flere); alle skal være ledige."},
    )
    first_date = fields.Date(required=True, metadata={"description": "Første dag (ÅÅÅÅ-MM-DD), lokal dato."})
    last_date = fields.Date(required=True, metadata={"description": "Sidste dag (inklusiv), højst 92 dage efter."})
    duration_minutes = fields.Integer(
        required=True,
        validate=Range(min=5, max=480, error="Varigheden skal være mellem 5 og 480 minutter."),
        metadata={"description": "Mødets varighed i minutter."},
    )
    reporting_minutes = fields.Integer(
        load_default=0,
        validate=Range(min=0, max=240, error="Afrapporteringstiden skal være mellem 0 og 240 minutter."),
        metadata={"description": "Minutter efter mødet, hvor vejlederne også er optaget (standard 0)."},
    )
    start_minutes = fields.List(
        fields.Integer(validate=Range(min=0, max=59, error="Skal være et minuttal (0-59).")),
        load_default=lambda: [0, 15, 30, 45],
        metadata={"description": f"Tilladte minutter over hel (delmængde af {ALLOWED}; standard 0, 15, 30, 45)."},
    )


class GroupMeetingTimeOut(Schema):
    start = fields.DateTime(metadata={"description": "Mødets start (ISO 8601 med UTC-forskydning)."})
    end = fields.DateTime(metadata={"description": "Mødets slut (eksklusiv, uden afrapporteringstid)."})


class GroupMeetingTimesOut(Schema):
    window_start = fields.DateTime(metadata={"description": "Fra (tidligst nu)."})
    window_end = fields.DateTime(metadata={"description": "Til (midnat efter sidste dag)."})
    times = fields.List(fields.Nested(GroupMeetingTimeOut), metadata={"description": "Tider, hvor alle er ledige."})
    withheld_advisor_ids = fields.List(
        fields.UUID(),
        metadata={
            "description": "Vejledere, hvis kalenderdata mangler eller er for gamle: så tilbydes ingen tider, "
            "for mødet kræver dem alle."
        },
    )
