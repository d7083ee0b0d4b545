"""Evaluating an offer's rules for a citizen, and explaining a refusal to staff. Pure.

``compile_rules`` turns a validated ``RuleSet`` once into tuples of (rule type, test) where
each test is a closure over the criterion, so deciding a citizen only looks up the citizen's
facts (``CitizenProfile.facts_on(day)``) and compares. A citizen without a value satisfies
``ne`` and ``has_not`` and nothing else. For many offers at once use ``EligibilityIndex``.

``explain`` says which groups and which rules failed: English codes (``group_not_met``;
``not_met``, or ``missing_value`` when the citizen has no such value) and Danish messages.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from shared.eligibility.citizen import Facts
from shared.eligibility.model import (
    MATCH_LABELS,
    Condition,
    Join,
    Match,
    Rule,
    RuleSet,
    RuleType,
    RuleValue,
    format_value,
)
from shared.eligibility.problems import pointer
from shared.eligibility.reference import DEFAULT_REFERENCE, ReferenceData

Test = Callable[[Any], bool]


def rule_test(condition: Condition, value: RuleValue) -> Test:
    """The comparison of ``condition`` against ``value``, as a closure over the citizen's fact."""
    match condition:
        case Condition.EQ:
            return lambda fact: fact is not None and fact == value
        case Condition.NE:
            return lambda fact: fact is None or fact != value
        case Condition.GT:
            return lambda fact: fact is not None and fact > value
        case Condition.GTE:
            return lambda fact: fact is not None and fact >= value
        case Condition.LT:
            return lambda fact: fact is not None and fact < value
        case Condition.LTE:
            return lambda fact: fact is not None and fact <= value
        case Condition.HAS:
            return lambda facts: facts is not None and value in facts
        case Condition.HAS_NOT:
            return lambda facts: facts is None or value not in facts
    raise ValueError(f"unknown condition {condition!r}")


CompiledGroup = tuple[bool, tuple[tuple[RuleType, Test], ...]]  # (match all?, (type, test) per rule)


@dataclass(frozen=True, slots=True)
class CompiledRules:
    """An offer's rules ready to decide citizens: ``matches(facts)``."""

    rules: RuleSet
    join_and: bool
    groups: tuple[CompiledGroup, ...]

    def matches(self, facts: Facts) -> bool:
        if self.join_and:
            return all(_group_holds(group, facts) for group in self.groups)
        return any(_group_holds(group, facts) for group in self.groups)


def _group_holds(group: CompiledGroup, facts: Facts) -> bool:
    match_all, tests = group
    if match_all:
        return all(test(facts[rule_type]) for rule_type, test in tests)
    return any(test(facts[rule_type]) for rule_type, test in tests)


def compile_rules(rules: RuleSet) -> CompiledRules:
    groups = tuple(
        (group.match is Match.ALL, tuple((rule.type, rule_test(rule.condition, rule.value)) for rule in group.rules))
        for group in rules.groups
    )
    return CompiledRules(rules, rules.join is Join.AND, groups)


def is_eligible(rules: RuleSet | CompiledRules, facts: Facts) -> bool:
    compiled = rules if isinstance(rules, CompiledRules) else compile_rules(rules)
    return compiled.matches(facts)


@dataclass(frozen=True, slots=True)
class RuleFailure:
    group: int  # 1-based, as staff count
    position: int  # 1-based within the group
    rule: Rule
    code: str  # "not_met" | "missing_value"
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "rule": self.position,
            "path": pointer("groups", self.group - 1, "rules", self.position - 1),
            **self.rule.to_json(),
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class GroupFailure:
    group: int
    match: Match
    rules: tuple[RuleFailure, ...]
    message: str
    code: str = "group_not_met"

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "match": self.match.value,
            "code": self.code,
            "message": self.message,
            "rules": [failure.to_json() for failure in self.rules],
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether the citizen may see and book the offer; ``failed`` is empty when eligible."""

    eligible: bool
    failed: tuple[GroupFailure, ...] = ()

    @property
    def message(self) -> str:
        """One Danish sentence for a page or a 403 problem document."""
        if self.eligible:
            return "Borgeren opfylder reglerne for deltagere."
        reasons = "; ".join(rule.message.rstrip(".") for group in self.failed for rule in group.rules)
        return f"Borgeren opfylder ikke reglerne for deltagere: {reasons}."

    def to_json(self) -> dict[str, Any]:
        return {"eligible": self.eligible, "failed": [group.to_json() for group in self.failed]}


def explain(rules: RuleSet | CompiledRules, facts: Facts, reference: ReferenceData = DEFAULT_REFERENCE) -> Decision:
    """Decide and, when the citizen is not eligible, say which groups and rules failed."""
    compiled = rules if isinstance(rules, CompiledRules) else compile_rules(rules)
    if compiled.matches(facts):
        return Decision(True)
    failed: list[GroupFailure] = []
    for number, (group, (_, tests)) in enumerate(zip(compiled.rules.groups, compiled.groups, strict=True), start=1):
        failures = tuple(
            _rule_failure(number, position, rule, facts[rule.type], reference)
            for position, (rule, (rule_type, test)) in enumerate(zip(group.rules, tests, strict=True), start=1)
            if not test(facts[rule_type])
        )
        held = len(group.rules) - len(failures)
        if (group.match is Match.ALL and not failures) or (group.match is Match.ANY and held):
            continue
        if group.match is Match.ALL:
            detail = f"{len(failures)} af {len(group.rules)} regler er ikke opfyldt"
        else:
            detail = "ingen af reglerne er opfyldt"
        message = f"Gruppe {number} ('{MATCH_LABELS[group.match]}' af følgende) er ikke opfyldt: {detail}."
        failed.append(GroupFailure(number, group.match, failures, message))
    return Decision(False, tuple(failed))


_NO_VALUE = {
    RuleType.AGE: "borgerens alder kendes ikke",
    RuleType.CONTACT_GROUP: "borgeren har ingen kontaktgruppe",
    RuleType.ASSESSMENT_GROUP: "borgeren har ingen visitationsgruppe",
    RuleType.PERSON_GROUP_MARKER: "borgeren har ingen persongruppemarkeringer",
    RuleType.JOB_CENTRE: "borgeren har intet jobcenter",
    RuleType.OTHER_ACTOR: "det vides ikke, om borgeren er hos en anden aktør",
    RuleType.OTHER_ACTOR_REFERRAL: "borgeren har ingen henvisninger til anden aktør",
    RuleType.SICK_PAY_CATEGORY: "borgeren har ingen sygedagpengekategori",
    RuleType.REGISTRATION_WEEKS: "borgeren har ingen tilmeldingsdato",
    RuleType.IN_ACTIVATION: "det vides ikke, om borgeren er i aktivering",
    RuleType.UNEMPLOYMENT_FUND: "borgeren har ingen a-kasse",
}


def describe_rule(rule: Rule, reference: ReferenceData = DEFAULT_REFERENCE) -> str:
    """Danish, with a person-group marker shown by its name."""
    if rule.type is RuleType.PERSON_GROUP_MARKER:
        marker = reference.marker(str(rule.value))
        if marker is not None:
            return Rule(rule.type, rule.condition, marker.name).describe()
    return rule.describe()


def _rule_failure(group: int, position: int, rule: Rule, fact: Any, reference: ReferenceData) -> RuleFailure:
    text = describe_rule(rule, reference)
    if fact is None or (isinstance(fact, Collection) and not isinstance(fact, str) and not fact):
        return RuleFailure(group, position, rule, "missing_value", f"{text} er ikke opfyldt: {_NO_VALUE[rule.type]}.")
    return RuleFailure(
        group, position, rule, "not_met", f"{text} er ikke opfyldt: {_has_value(rule.type, fact, reference)}."
    )


_HAS_VALUE = {
    RuleType.AGE: "borgeren er {} år",
    RuleType.CONTACT_GROUP: "borgerens kontaktgruppe er {}",
    RuleType.ASSESSMENT_GROUP: "borgerens visitationsgruppe er {}",
    RuleType.PERSON_GROUP_MARKER: "borgeren har markeringerne {}",
    RuleType.JOB_CENTRE: "borgerens jobcenter er {}",
    RuleType.OTHER_ACTOR_REFERRAL: "borgeren er henvist til {}",
    RuleType.SICK_PAY_CATEGORY: "borgerens sygedagpengekategori er {}",
    RuleType.REGISTRATION_WEEKS: "borgeren har været tilmeldt i {} hele uger",
    RuleType.UNEMPLOYMENT_FUND: "borgerens a-kasse er {}",
}
_YES_NO = {
    RuleType.OTHER_ACTOR: ("borgeren er hos en anden aktør", "borgeren er ikke hos en anden aktør"),
    RuleType.IN_ACTIVATION: ("borgeren er i aktivering", "borgeren er ikke i aktivering"),
}


def _has_value(rule_type: RuleType, fact: Any, reference: ReferenceData) -> str:
    if rule_type in _YES_NO:
        yes, no = _YES_NO[rule_type]
        return yes if fact else no
    if isinstance(fact, Collection) and not isinstance(fact, str):
        shown = ", ".join(_marker_name(item, reference, rule_type) for item in sorted(fact))
    else:
        shown = format_value(fact)
    return _HAS_VALUE[rule_type].format(shown)


def _marker_name(code: str, reference: ReferenceData, rule_type: RuleType) -> str:
    if rule_type is RuleType.PERSON_GROUP_MARKER:
        marker = reference.marker(code)
        if marker is not None:
            return marker.name
    return code
