"""Validation of participant rules (R-1 to R-3) with a problem per wrong input. Pure.

``check_rules`` returns the canonical ``RuleSet`` (or None) and every problem found;
``parse_rules`` raises ``InvalidRules`` instead. Each problem has a JSON-pointer path into
the submitted document, an English code and a Danish message naming the group and rule.

Codes: not_an_object, unknown_field, missing_field, not_a_list, invalid_join, invalid_match,
empty_group, too_few_rules, too_many_rules, unknown_type, unknown_condition,
condition_not_allowed, not_whole_number, not_positive, not_boolean, not_text, invalid_job_centre,
unknown_value, marker_not_visible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.eligibility.markers import JOB_CENTRE_CODE, JobCentreScope, is_visible
from shared.eligibility.model import (
    ALLOWED_CONDITIONS,
    CONDITION_LABELS,
    MAX_RULES,
    MIN_RULES,
    TYPE_LABELS,
    VALUE_KINDS,
    Condition,
    Join,
    Match,
    Rule,
    RuleGroup,
    RuleSet,
    RuleType,
    RuleValue,
    ValueKind,
)
from shared.eligibility.problems import InvalidRules, Problem, pointer
from shared.eligibility.reference import DEFAULT_REFERENCE, ReferenceData

_TOP_FIELDS = frozenset({"join", "groups"})
_GROUP_FIELDS = frozenset({"match", "rules"})
_RULE_FIELDS = frozenset({"type", "condition", "value"})
_TYPES = frozenset(t.value for t in RuleType)
_CONDITIONS = frozenset(c.value for c in Condition)
_YES = frozenset({"ja", "yes", "true"})
_NO = frozenset({"nej", "no", "false"})

_LIST_NAMES = {
    RuleType.CONTACT_GROUP: "kontaktgrupper",
    RuleType.ASSESSMENT_GROUP: "visitationsgrupper",
    RuleType.SICK_PAY_CATEGORY: "sygedagpengekategorier",
    RuleType.UNEMPLOYMENT_FUND: "a-kasser",
    RuleType.OTHER_ACTOR_REFERRAL: "jobcentrets andre aktører",
    RuleType.JOB_CENTRE: "jobcentrets subjobcentre",
}


def parse_rules(
    data: object, reference: ReferenceData | None = DEFAULT_REFERENCE, *, scope: JobCentreScope | None = None
) -> RuleSet:
    """The canonical rules in ``data`` (the JSON form), or ``InvalidRules`` listing every problem.

    ``scope`` is the offer's job centre: when given, a person-group marker must be visible to it (R-4).
    ``reference=None`` checks everything but list membership: for rules another service has already
    validated against its own lists (e.g. the booking service reading an ``offer.published`` event).
    """
    rules, problems = check_rules(data, reference, scope=scope)
    if rules is None:
        raise InvalidRules(problems)
    return rules


def check_rules(
    data: object, reference: ReferenceData | None = DEFAULT_REFERENCE, *, scope: JobCentreScope | None = None
) -> tuple[RuleSet | None, list[Problem]]:
    """Validate ``data``; the rules are returned only when there is no problem."""
    checker = _Checker(reference, scope)
    rules = checker.rule_set(data)
    return (rules if not checker.problems else None), checker.problems


class _Checker:
    def __init__(self, reference: ReferenceData | None, scope: JobCentreScope | None):
        self.reference = reference
        self.scope = scope
        self.problems: list[Problem] = []

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        self.problems.append(Problem(pointer(*path), code, message))

    def _unknown_fields(self, data: Mapping[str, Any], allowed: frozenset[str], path: tuple[str | int, ...]) -> None:
        for name in data:
            if name not in allowed:
                self.add((*path, name), "unknown_field", f"Feltet '{name}' kendes ikke.")

    def rule_set(self, data: object) -> RuleSet | None:
        if not isinstance(data, Mapping):
            self.add((), "not_an_object", "Reglerne skal være et objekt med 'join' og 'groups'.")
            return None
        self._unknown_fields(data, _TOP_FIELDS, ())
        raw_groups = data.get("groups")
        if raw_groups is None:
            self.add(("groups",), "missing_field", "Der skal være mindst én regelgruppe med mindst 1 regel.")
            return None
        if not isinstance(raw_groups, list):
            self.add(("groups",), "not_a_list", "Feltet 'groups' skal være en liste af regelgrupper.")
            return None
        join = self._join(data.get("join"), len(raw_groups))
        groups = [self._group(raw, index) for index, raw in enumerate(raw_groups)]
        count = sum(_count_rules(raw) for raw in raw_groups)
        if count < MIN_RULES:
            self.add(("groups",), "too_few_rules", "Der skal altid være mindst 1 regel knyttet til et online tilbud.")
        elif count > MAX_RULES:
            self.add(("groups",), "too_many_rules", f"Der må højst være {MAX_RULES} regler; der er {count}.")
        if join is None or any(group is None for group in groups):
            return None
        return RuleSet(join, tuple(g for g in groups if g is not None))

    def _join(self, raw: object, group_count: int) -> Join | None:
        if raw is None:
            if group_count > 1:
                self.add(("join",), "missing_field", "Vælg 'Og' eller 'Eller' mellem regelgrupperne.")
                return None
            return Join.AND
        if raw not in ("and", "or"):
            self.add(("join",), "invalid_join", "Regelgrupper forbindes med 'and' (Og) eller 'or' (Eller).")
            return None
        return Join(raw)

    def _group(self, raw: object, index: int) -> RuleGroup | None:
        where = f"Gruppe {index + 1}"
        if not isinstance(raw, Mapping):
            self.add(("groups", index), "not_an_object", f"{where}: skal være et objekt med 'match' og 'rules'.")
            return None
        self._unknown_fields(raw, _GROUP_FIELDS, ("groups", index))
        match: Match | None = None
        raw_match = raw.get("match")
        if raw_match is None:
            self.add(("groups", index, "match"), "missing_field", f"{where}: vælg 'Alle' eller 'Enhver'.")
        elif raw_match not in ("all", "any"):
            self.add(
                ("groups", index, "match"),
                "invalid_match",
                f"{where}: 'match' skal være 'all' (Alle) eller 'any' (Enhver).",
            )
        else:
            match = Match(raw_match)
        raw_rules = raw.get("rules")
        if not isinstance(raw_rules, list):
            code = "missing_field" if raw_rules is None else "not_a_list"
            self.add(("groups", index, "rules"), code, f"{where}: 'rules' skal være en liste af regler.")
            return None
        if not raw_rules:
            self.add(
                ("groups", index, "rules"),
                "empty_group",
                f"{where} har ingen regler; tilføj en regel eller slet gruppen.",
            )
            return None
        rules = [self._rule(rule, index, position) for position, rule in enumerate(raw_rules)]
        if match is None or any(rule is None for rule in rules):
            return None
        return RuleGroup(match, tuple(r for r in rules if r is not None))

    def _rule(self, raw: object, group: int, position: int) -> Rule | None:
        path: tuple[str | int, ...] = ("groups", group, "rules", position)
        where = f"Gruppe {group + 1}, regel {position + 1}"
        if not isinstance(raw, Mapping):
            self.add(path, "not_an_object", f"{where}: skal være et objekt med 'type', 'condition' og 'value'.")
            return None
        self._unknown_fields(raw, _RULE_FIELDS, path)
        raw_type, raw_condition = raw.get("type"), raw.get("condition")
        rule_type = RuleType(raw_type) if isinstance(raw_type, str) and raw_type in _TYPES else None
        if rule_type is None:
            if raw_type is None:
                self.add((*path, "type"), "missing_field", f"{where}: vælg en regeltype.")
            else:
                self.add((*path, "type"), "unknown_type", f"{where}: '{raw_type}' er ikke en kendt regeltype.")
        condition = (
            Condition(raw_condition) if isinstance(raw_condition, str) and raw_condition in _CONDITIONS else None
        )
        if condition is None:
            if raw_condition is None:
                self.add((*path, "condition"), "missing_field", f"{where}: vælg en betingelse.")
            else:
                message = f"{where}: '{raw_condition}' er ikke en kendt betingelse."
                self.add((*path, "condition"), "unknown_condition", message)
        elif rule_type is not None and condition not in ALLOWED_CONDITIONS[rule_type]:
            allowed = ", ".join(f"'{CONDITION_LABELS[c]}'" for c in ALLOWED_CONDITIONS[rule_type])
            wrong = CONDITION_LABELS[condition]
            message = f"{where}: {TYPE_LABELS[rule_type]} kan ikke bruges med '{wrong}'; vælg {allowed}."
            self.add((*path, "condition"), "condition_not_allowed", message)
            condition = None
        if "value" not in raw or raw["value"] is None:
            self.add((*path, "value"), "missing_field", f"{where}: udfyld kriteriet.")
            return None
        if rule_type is None:
            return None
        value = self._value(rule_type, raw["value"], (*path, "value"), where)
        if condition is None or value is None:
            return None
        return Rule(rule_type, condition, value)

    def _value(self, rule_type: RuleType, raw: object, path: tuple[str | int, ...], where: str) -> RuleValue | None:
        label = TYPE_LABELS[rule_type]
        kind = VALUE_KINDS[rule_type]
        if kind is ValueKind.NUMBER:
            if isinstance(raw, bool) or not isinstance(raw, int):
                self.add(path, "not_whole_number", f"{where}: {label} skal udfyldes med et helt tal større end 0.")
                return None
            if raw <= 0:
                self.add(path, "not_positive", f"{where}: {label} skal udfyldes med et helt tal større end 0.")
                return None
            return raw
        if kind is ValueKind.BOOLEAN:
            answer = parse_yes_no(raw)
            if answer is None:
                self.add(path, "not_boolean", f"{where}: {label} skal være Ja eller Nej.")
            return answer
        if isinstance(raw, int) and not isinstance(raw, bool) and rule_type is RuleType.SICK_PAY_CATEGORY:
            raw = str(raw)
        if not isinstance(raw, str) or not raw.strip():
            self.add(path, "not_text", f"{where}: vælg en værdi for {label.lower()}.")
            return None
        if kind is ValueKind.MARKER:
            return self._marker(raw, path, where)
        if kind is ValueKind.JOB_CENTRE and not JOB_CENTRE_CODE.fullmatch(raw.strip()):
            self.add(path, "invalid_job_centre", f"{where}: et jobcenter angives med sin kode på 5 cifre.")
            return None
        allowed = self.reference.list_for(rule_type) if self.reference is not None else None
        if allowed is None:  # lists not checked, or job centres without a list: any 5-digit code
            return raw.strip()
        canonical = allowed.canonical(raw)
        if canonical is None:
            self.add(path, "unknown_value", f"{where}: '{raw}' findes ikke i listen over {_LIST_NAMES[rule_type]}.")
        return canonical

    def _marker(self, raw: str, path: tuple[str | int, ...], where: str) -> str | None:
        if self.reference is None:
            return raw.strip()
        marker = self.reference.marker(raw)
        if marker is None:
            self.add(path, "unknown_value", f"{where}: persongruppemarkeringen '{raw}' findes ikke.")
            return None
        if self.scope is not None and not is_visible(marker, self.scope):
            self.add(
                path,
                "marker_not_visible",
                f"{where}: persongruppemarkeringen '{marker.name}' kan ikke ses af jobcenter {self.scope.job_centre}.",
            )
            return None
        return marker.code


def _count_rules(raw_group: object) -> int:
    if isinstance(raw_group, Mapping) and isinstance(raw_group.get("rules"), list):
        return len(raw_group["rules"])
    return 0


def parse_yes_no(raw: object) -> bool | None:
    """True/False from a JSON boolean or ja/nej (yes/no, true/false, 1/0); None when it is neither."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        text = raw.strip().casefold()
        if text in _YES or text == "1":
            return True
        if text in _NO or text == "0":
            return False
    return None
