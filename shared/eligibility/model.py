"""The rule model of wizard step 3 ("Deltagere"). Pure.

A rule is a type, a condition and a criterion (value); rules sit in groups matched as
"Alle" (all must hold) or "Enhver" (any must hold); groups are joined by "Og" (and) or
"Eller" (or). Its JSON form (offers API, templates, ``planner rules check``)::

    {"join": "and"|"or", "groups": [{"match": "all"|"any",
                                     "rules": [{"type": T, "condition": C, "value": V}]}]}

The types and the conditions each allows are exactly those of R-3 in DOMAIN.md; age also
allows "eq" ("lig med"). Values are canonical once validated (``validation.parse_rules``):
whole numbers for age and weeks, booleans for yes/no types, the reference list's own
spelling for list values, marker codes for person-group markers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

MIN_RULES = 1
MAX_RULES = 30

RuleValue = int | str | bool


class RuleType(StrEnum):
    AGE = "age"
    CONTACT_GROUP = "contact_group"
    ASSESSMENT_GROUP = "assessment_group"
    PERSON_GROUP_MARKER = "person_group_marker"
    JOB_CENTRE = "job_centre"
    OTHER_ACTOR = "other_actor"
    OTHER_ACTOR_REFERRAL = "other_actor_referral"
    SICK_PAY_CATEGORY = "sick_pay_category"
    REGISTRATION_WEEKS = "registration_weeks"
    IN_ACTIVATION = "in_activation"
    UNEMPLOYMENT_FUND = "unemployment_fund"


class Condition(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    HAS = "has"
    HAS_NOT = "has_not"


class Match(StrEnum):
    ALL = "all"
    ANY = "any"


class Join(StrEnum):
    AND = "and"
    OR = "or"


class ValueKind(Enum):
    """What a rule's criterion is, which decides how it is validated."""

    NUMBER = "number"  # a whole number above 0
    BOOLEAN = "boolean"  # ja / nej
    REFERENCE = "reference"  # a value of a reference list
    JOB_CENTRE = "job_centre"  # a 5-digit job-centre code (sub-job-centres of the offer's centre)
    MARKER = "marker"  # the code of a person-group marker the job centre can see


_ORDERED = (Condition.GT, Condition.GTE, Condition.LT, Condition.LTE, Condition.NE)
_EQUALITY = (Condition.EQ, Condition.NE)
_MEMBERSHIP = (Condition.HAS, Condition.HAS_NOT)

ALLOWED_CONDITIONS: dict[RuleType, tuple[Condition, ...]] = {
    RuleType.AGE: (Condition.EQ, *_ORDERED),
    RuleType.CONTACT_GROUP: _EQUALITY,
    RuleType.ASSESSMENT_GROUP: _EQUALITY,
    RuleType.PERSON_GROUP_MARKER: _MEMBERSHIP,
    RuleType.JOB_CENTRE: _EQUALITY,
    RuleType.OTHER_ACTOR: _EQUALITY,
    RuleType.OTHER_ACTOR_REFERRAL: _MEMBERSHIP,
    RuleType.SICK_PAY_CATEGORY: _EQUALITY,
    RuleType.REGISTRATION_WEEKS: _ORDERED,
    RuleType.IN_ACTIVATION: _EQUALITY,
    RuleType.UNEMPLOYMENT_FUND: _EQUALITY,
}

VALUE_KINDS: dict[RuleType, ValueKind] = {
    RuleType.AGE: ValueKind.NUMBER,
    RuleType.CONTACT_GROUP: ValueKind.REFERENCE,
    RuleType.ASSESSMENT_GROUP: ValueKind.REFERENCE,
    RuleType.PERSON_GROUP_MARKER: ValueKind.MARKER,
    RuleType.JOB_CENTRE: ValueKind.JOB_CENTRE,
    RuleType.OTHER_ACTOR: ValueKind.BOOLEAN,
    RuleType.OTHER_ACTOR_REFERRAL: ValueKind.REFERENCE,
    RuleType.SICK_PAY_CATEGORY: ValueKind.REFERENCE,
    RuleType.REGISTRATION_WEEKS: ValueKind.NUMBER,
    RuleType.IN_ACTIVATION: ValueKind.BOOLEAN,
    RuleType.UNEMPLOYMENT_FUND: ValueKind.REFERENCE,
}

# The guide's own words (Regeltype / Betingelse), for pages, messages and explanations.
TYPE_LABELS: dict[RuleType, str] = {
    RuleType.AGE: "Alder",
    RuleType.CONTACT_GROUP: "Kontaktgruppe",
    RuleType.ASSESSMENT_GROUP: "Visitationsgruppe",
    RuleType.PERSON_GROUP_MARKER: "Persongruppemarkering",
    RuleType.JOB_CENTRE: "Jobcenter",
    RuleType.OTHER_ACTOR: "Anden aktør",
    RuleType.OTHER_ACTOR_REFERRAL: "Anden aktør henvisning",
    RuleType.SICK_PAY_CATEGORY: "Sygedagpengekategori",
    RuleType.REGISTRATION_WEEKS: "Ledigheds-/tilmeldingslængde (uger)",
    RuleType.IN_ACTIVATION: "I aktivering",
    RuleType.UNEMPLOYMENT_FUND: "A-kasse",
}

CONDITION_LABELS: dict[Condition, str] = {
    Condition.EQ: "lig med",
    Condition.NE: "ikke lig med",
    Condition.GT: "større end",
    Condition.GTE: "større end eller lig med",
    Condition.LT: "mindre end",
    Condition.LTE: "mindre end eller lig med",
    Condition.HAS: "har",
    Condition.HAS_NOT: "har ikke",
}

MATCH_LABELS: dict[Match, str] = {Match.ALL: "Alle", Match.ANY: "Enhver"}
JOIN_LABELS: dict[Join, str] = {Join.AND: "Og", Join.OR: "Eller"}

# The condition that holds exactly when the given one does not (for a citizen who has a value).
NEGATION: dict[Condition, Condition] = {
    Condition.EQ: Condition.NE,
    Condition.NE: Condition.EQ,
    Condition.GT: Condition.LTE,
    Condition.LTE: Condition.GT,
    Condition.GTE: Condition.LT,
    Condition.LT: Condition.GTE,
    Condition.HAS: Condition.HAS_NOT,
    Condition.HAS_NOT: Condition.HAS,
}


def format_value(value: RuleValue) -> str:
    """A criterion as staff read it: "Ja"/"Nej" for yes/no, the value itself otherwise."""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    return str(value)


@dataclass(frozen=True, slots=True)
class Rule:
    type: RuleType
    condition: Condition
    value: RuleValue

    def describe(self) -> str:
        """Danish, e.g. "Alder større end eller lig med 25"."""
        return f"{TYPE_LABELS[self.type]} {CONDITION_LABELS[self.condition]} {format_value(self.value)}"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type.value, "condition": self.condition.value, "value": self.value}


@dataclass(frozen=True, slots=True)
class RuleGroup:
    match: Match
    rules: tuple[Rule, ...]

    def to_json(self) -> dict[str, Any]:
        return {"match": self.match.value, "rules": [rule.to_json() for rule in self.rules]}


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The participant rules of one offer (build it with ``validation.parse_rules``)."""

    join: Join
    groups: tuple[RuleGroup, ...]

    @property
    def rule_count(self) -> int:
        return sum(len(group.rules) for group in self.groups)

    def to_json(self) -> dict[str, Any]:
        return {"join": self.join.value, "groups": [group.to_json() for group in self.groups]}


def targeted_values(rules: Mapping[str, Any] | None, rule_type: RuleType) -> tuple[str, ...]:
    """The values that canonical rules (their JSON form) name for ``rule_type`` with "lig
    med", sorted and each once: whom an offer is for, as staff filter the offer list by it
    ("Målgruppe", V-2). Rules from before rules existed (``None``) name none."""
    found = {
        str(rule["value"])
        for group in (rules or {}).get("groups", [])
        for rule in group.get("rules", [])
        if rule.get("type") == rule_type.value and rule.get("condition") == Condition.EQ.value
    }
    return tuple(sorted(found))
