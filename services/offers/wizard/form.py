"""The wizard's form values: what each step asks, the draft's data (the fields as the person
wrote them, so nothing typed is ever lost) and the API-shaped offer they make. Pure.

A draft's data holds texts as typed, lists for multiple choices and the rules as their JSON
form; ``offer_body`` turns it into the body ``operations.create_offer`` checks, and
``step_errors`` keeps the problems of one step's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STEPS = (
    (1, "Type"),
    (2, "Tid"),
    (3, "Deltagere"),
    (4, "Opsummering"),
)
STEP_FIELDS: dict[int, tuple[str, ...]] = {
    1: ("job_centre_id", "name", "description", "conversation_type", "variant", "meeting_form", "channel"),
    2: (
        "team_id", "advisor_ids", "citizen_may_choose_advisor", "room_id", "place", "caller", "phone",
        "duration_minutes",
        "reporting_minutes", "start_minutes", "first_meeting_date", "end_date", "rolling_weeks", "opens_on",
        "accept_cancellation", "rebooking", "rebooking_days_before",
    ),
    3: ("rules", "marker_routes"),
}  # fmt: skip
TEXTS = {
    "job_centre_id", "name", "description", "conversation_type", "variant", "meeting_form", "channel", "team_id",
    "room_id", "place", "caller", "phone", "duration_minutes", "reporting_minutes", "first_meeting_date", "end_date",
    "rolling_weeks", "opens_on", "citizen_may_choose_advisor", "accept_cancellation", "rebooking",
    "rebooking_days_before",
}  # fmt: skip
LISTS = {"advisor_ids", "start_minutes"}
GROUP_LEAVES_OUT = ("start_minutes", "first_meeting_date", "end_date", "citizen_may_choose_advisor")
"""What a group offer (fællesmøde) does not ask: its meetings have their own dates and times."""
MAX_TEXT = 1000
EMPTY_RULES: dict[str, Any] = {"join": "and", "groups": [{"match": "all", "rules": [
    {"type": "contact_group", "condition": "eq", "value": ""},
]}]}  # fmt: skip
DEFAULTS: dict[str, Any] = {
    "meeting_form": "individual",
    "channel": "in_person",
    "duration_minutes": "30",
    "reporting_minutes": "0",
    "start_minutes": ["0", "30"],
    "citizen_may_choose_advisor": "nej",
    "caller": "advisor",
    "accept_cancellation": "ja",
    "rebooking": "ja",
    "rebooking_days_before": "1",
    "rules": EMPTY_RULES,
}


def step_of(field: str) -> int:
    """The step that asks for ``field`` (unknown fields: the summary)."""
    return next((step for step, fields in STEP_FIELDS.items() if field in fields), 4)


def take_form(data: Mapping[str, Any], form: Mapping[str, Any], step: int) -> dict[str, Any]:
    """``data`` with the fields of ``step`` as the form sent them (a list field missing from
    the form is an empty choice; texts are kept as typed, cut at ``MAX_TEXT``)."""
    new = dict(data)
    for field in STEP_FIELDS.get(step, ()):
        if field in LISTS:
            new[field] = [str(v)[:100] for v in form.getlist(field)][:100] if hasattr(form, "getlist") else []
        elif field in TEXTS:
            new[field] = str(form.get(field, ""))[:MAX_TEXT]
    return new


def _int(text: Any) -> Any:
    text = str(text).strip()
    try:
        return int(text)
    except ValueError:
        return text  # the check says what is wrong with it


def offer_body(data: Mapping[str, Any]) -> dict[str, Any]:
    """The offer ``data`` describes, as ``POST /api/v1/offers`` takes it (empty fields left out)."""
    body: dict[str, Any] = {}
    for field in ("job_centre_id", "name", "description", "variant", "meeting_form", "channel", "team_id",
                  "room_id", "place", "phone", "caller", "first_meeting_date", "end_date", "opens_on"):  # fmt: skip
        value = str(data.get(field) or "").strip()
        if value:
            body[field] = value
    for field in ("conversation_type", "duration_minutes", "reporting_minutes", "rolling_weeks"):
        value = str(data.get(field) or "").strip()
        if value:
            body[field] = _int(value)
    body["start_minutes"] = [_int(m) for m in data.get("start_minutes") or []]
    body["advisor_ids"] = [str(a) for a in data.get("advisor_ids") or []]
    body["citizen_may_choose_advisor"] = data.get("citizen_may_choose_advisor") == "ja"
    body["accept_cancellation"] = data.get("accept_cancellation", "ja") == "ja"
    if data.get("rebooking", "ja") == "ja":
        body["rebooking_days_before"] = _int(data.get("rebooking_days_before") or "0")
    else:
        body["rebooking_days_before"] = None
    if body.get("channel") != "in_person":
        body.pop("place", None)
    if body.get("channel") != "phone":
        body.pop("phone", None)
        body.pop("caller", None)
    if body.get("meeting_form") == "group":  # its meetings are its dates (O-11): added on the offer's page
        for field in GROUP_LEAVES_OUT:
            body.pop(field, None)
    body["rules"] = data.get("rules") or EMPTY_RULES
    if data.get("marker_routes"):
        body["marker_routes"] = data["marker_routes"]
    return body


def step_errors(errors: Mapping[str, list[Any]], step: int) -> dict[str, list[Any]]:
    """The problems of the fields ``step`` asks for (``rebooking_days_before`` under "rebooking")."""
    fields = STEP_FIELDS.get(step, ())
    return {field: list(messages) for field, messages in errors.items() if field in fields}


def first_step_with_errors(errors: Mapping[str, list[Any]]) -> int | None:
    steps = sorted({step_of(field) for field in errors})
    return steps[0] if steps else None


def draft_from_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A template's fields (the offers API's form, ``offer_body``'s inverse) as the wizard's
    fields; a field the template leaves out is not in the result."""
    data: dict[str, Any] = {}
    for key in ("name", "description", "variant", "meeting_form", "channel", "place", "phone", "caller", "team_id",
                "room_id", "conversation_type", "duration_minutes", "reporting_minutes", "rolling_weeks"):  # fmt: skip
        if fields.get(key) is not None:
            data[key] = str(fields[key])
    for key in ("start_minutes", "advisor_ids"):
        if isinstance(fields.get(key), list):
            data[key] = [str(v) for v in fields[key]]
    for key in ("citizen_may_choose_advisor", "accept_cancellation"):
        if isinstance(fields.get(key), bool):
            data[key] = "ja" if fields[key] else "nej"
    if "rebooking_days_before" in fields:
        days = fields["rebooking_days_before"]
        data["rebooking"] = "nej" if days is None else "ja"
        if days is not None:
            data["rebooking_days_before"] = str(days)
    if isinstance(fields.get("rules"), dict):
        data["rules"] = fields["rules"]
    if isinstance(fields.get("marker_routes"), dict):
        data["marker_routes"] = fields["marker_routes"]
    return data
