"""Who may see and book which offer: participant rules (wizard step 3), citizen profiles,
reference lists and person-group markers. Pure: no Flask, SQLAlchemy or kombu.

Typical use::

    rules = parse_rules(offer_json["rules"], reference, scope=JobCentreScope("12345", "AMK Øst"))
    index = EligibilityIndex((offer.id, offer.rules) for offer in active_offers)
    visible = index.eligible(citizen.facts_on(today))
    decision = explain(rules, citizen.facts_on(today))   # .eligible, .to_json(), .message
"""

from shared.eligibility.citizen import (
    CITIZEN_FIELDS,
    CitizenProfile,
    Facts,
    check_citizen,
    citizens_from_csv,
    citizens_from_json,
    parse_citizen,
)
from shared.eligibility.evaluation import CompiledRules, Decision, compile_rules, explain, is_eligible
from shared.eligibility.index import EligibilityIndex
from shared.eligibility.markers import (
    JobCentreScope,
    MarkerLevel,
    PersonGroupMarker,
    allowed_advisors,
    is_visible,
    route_problems,
    visible_markers,
)
from shared.eligibility.model import MAX_RULES, MIN_RULES, Condition, Join, Match, Rule, RuleGroup, RuleSet, RuleType
from shared.eligibility.problems import InvalidCitizen, InvalidInput, InvalidRules, Problem
from shared.eligibility.reference import DEFAULT_REFERENCE, ReferenceData, ReferenceList
from shared.eligibility.validation import check_rules, parse_rules

__all__ = [
    "CITIZEN_FIELDS",
    "DEFAULT_REFERENCE",
    "MAX_RULES",
    "MIN_RULES",
    "CitizenProfile",
    "CompiledRules",
    "Condition",
    "Decision",
    "EligibilityIndex",
    "Facts",
    "InvalidCitizen",
    "InvalidInput",
    "InvalidRules",
    "JobCentreScope",
    "Join",
    "MarkerLevel",
    "Match",
    "PersonGroupMarker",
    "Problem",
    "ReferenceData",
    "ReferenceList",
    "Rule",
    "RuleGroup",
    "RuleSet",
    "RuleType",
    "allowed_advisors",
    "check_citizen",
    "check_rules",
    "citizens_from_csv",
    "citizens_from_json",
    "compile_rules",
    "explain",
    "is_eligible",
    "is_visible",
    "parse_citizen",
    "parse_rules",
    "route_problems",
    "visible_markers",
]
