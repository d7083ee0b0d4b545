"""Schemas of the participant rules, the reference lists and the staff explanation.

The rules, routes and citizen profiles are checked by ``shared.eligibility`` (one checker,
one problem format), so their fields here are ``Raw`` with a JSON Schema for the OpenAPI
document only.
"""

from __future__ import annotations

from apiflask import Schema, fields

from shared.eligibility import CITIZEN_FIELDS, Condition, RuleType

_RULE = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": [t.value for t in RuleType]},
        "condition": {"type": "string", "enum": [c.value for c in Condition]},
        "value": {
            "description": "Whole number > 0 (age, registration_weeks), true/false (other_actor, in_activation), "
            "a 5-digit code (job_centre), a marker code (person_group_marker) or a value of the reference list."
        },
    },
    "required": ["type", "condition", "value"],
}
RULES_SCHEMA = {
    "type": "object",
    "description": "Participant rules (wizard step 3, R-1 to R-4): 1 to 30 rules in groups; a group is 'all' (Alle) "
    "or 'any' (Enhver); groups are joined by 'and' (Og) or 'or' (Eller). Problems come back in errors.rules as "
    "{path, code, message} with a JSON pointer into this object.",
    "properties": {
        "join": {"type": "string", "enum": ["and", "or"]},
        "groups": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "match": {"type": "string", "enum": ["all", "any"]},
                    "rules": {"type": "array", "minItems": 1, "items": _RULE},
                },
                "required": ["match", "rules"],
            },
        },
    },
    "required": ["groups"],
    "example": {
        "join": "and",
        "groups": [
            {
                "match": "all",
                "rules": [
                    {"type": "contact_group", "condition": "eq", "value": "Dagpengemodtager"},
                    {"type": "age", "condition": "gte", "value": 18},
                ],
            }
        ],
    },
}
ROUTES_SCHEMA = {
    "type": "object",
    "description": "R-5: person-group marker code -> ids of this offer's advisors. A citizen with a routed marker "
    "may book only the advisors linked to it. Problems come back in errors.marker_routes.",
    "additionalProperties": {"type": "array", "items": {"type": "string", "format": "uuid"}},
}
_LISTED = "contact_group, assessment_group, sick_pay_category: values of the reference lists"
CITIZEN_SCHEMA = {
    "type": "object",
    "description": "A citizen profile with the profile import's field names (" + ", ".join(CITIZEN_FIELDS) + "). "
    "Absent or null: the citizen has no such value. " + _LISTED + "; dates YYYY-MM-DD; lists of texts.",
    "properties": {
        "cpr": {"type": "string", "description": "DDMMYY-SSSS; confidential, its use is logged.", "writeOnly": True},
        "name": {"type": "string"},
        "contact_group": {"type": "string"},
        "assessment_group": {"type": "string"},
        "sick_pay_category": {"type": "string"},
        "person_group_markers": {"type": "array", "items": {"type": "string"}},
        "job_centre": {"type": "string", "pattern": "^[0-9]{5}$"},
        "other_actor": {"type": "boolean"},
        "other_actor_referrals": {"type": "array", "items": {"type": "string"}},
        "registration_date": {"type": "string", "format": "date"},
        "in_activation": {"type": "boolean"},
        "unemployment_fund": {"type": "string"},
        "booking_deadline": {"type": "string", "format": "date"},
        "last_meeting_date": {"type": "string", "format": "date"},
        "email": {"type": "string", "maxLength": 254},
    },
}


def rules_field(*, required: bool = False) -> fields.Raw:
    return fields.Raw(required=required, allow_none=not required, metadata=RULES_SCHEMA)


def routes_field() -> fields.Raw:
    return fields.Raw(allow_none=True, metadata=ROUTES_SCHEMA)


class Marker(Schema):
    code = fields.String(metadata={"description": "Unique code (as in the citizens' profiles)."})
    name = fields.String(metadata={"description": "The name staff see."})
    level = fields.String(metadata={"enum": ["state", "region", "job_centre"]})
    owner = fields.String(
        allow_none=True, metadata={"description": "Region name (region level) or job-centre code (job-centre level)."}
    )


class ReferenceListOut(Schema):
    kind = fields.String(
        metadata={
            "enum": [
                "contact_groups",
                "assessment_groups",
                "sick_pay_categories",
                "other_actors",
                "unemployment_funds",
                "regions",
                "person_group_markers",
            ]
        }
    )
    label = fields.String(metadata={"description": "Danish name of the list."})
    values = fields.List(fields.String(), metadata={"description": "The values in order (marker codes for markers)."})
    aliases = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "Old name -> current value."}
    )
    markers = fields.List(fields.Nested(Marker), metadata={"description": "Only for person_group_markers."})


class ReferenceListDetail(ReferenceListOut):
    """One list (its own class: apispec registers a schema used both nested and alone twice)."""


class ReferenceListsOut(Schema):
    items = fields.List(fields.Nested(ReferenceListOut))


class ReferenceListIn(Schema):
    """The whole new list: ``values`` (+ ``aliases``), or ``markers`` for person_group_markers."""

    values = fields.List(fields.String(), metadata={"description": "Every value, in order."})
    aliases = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Old name -> value: keep a renamed value's old name; offers using it follow."},
    )
    markers = fields.List(fields.Nested(Marker), metadata={"description": "For person_group_markers: every marker."})


class ExplainIn(Schema):
    citizen = fields.Raw(required=True, metadata=CITIZEN_SCHEMA)
    day = fields.Date(metadata={"description": "Evaluation day (default today in the job centre's zone)."})


class ExplainOut(Schema):
    offer_id = fields.UUID()
    day = fields.Date()
    eligible = fields.Boolean()
    message = fields.String(metadata={"description": "One Danish sentence for the staff member."})
    failed = fields.List(
        fields.Dict(),
        metadata={"description": "Groups not met: {group, match, code, message, rules: [{group, rule, path, type, "
                  "condition, value, code, message}]}."},
    )  # fmt: skip
