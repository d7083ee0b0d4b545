"""Output schemas of what staff see about the calendars: health and conflicts (Danish
descriptions, times as ISO 8601 with their UTC offset)."""

from __future__ import annotations

from apiflask import Schema, fields

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
