"""Step 3's rule builder without JavaScript (R-1 to R-4): the rules as form fields
(``join``; per group ``g0-match``; per rule ``g0-r0-type``, ``-condition``, ``-value``), and
the submit buttons that add or remove a rule or a group. Pure.

A problem the check finds in the rules (a JSON pointer such as ``/groups/0/rules/1/value``)
is shown at the field it points to (``g0-r1-value``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from shared.eligibility.model import MAX_RULES, VALUE_KINDS, RuleType, ValueKind

NEW_RULE = {"type": RuleType.CONTACT_GROUP.value, "condition": "eq", "value": ""}
MAX_GROUPS = MAX_RULES
_POINTER = re.compile(r"^/groups/(\d+)(?:/rules/(\d+)(?:/(type|condition|value))?)?")


def form_count(form: Mapping[str, Any], key: str, limit: int) -> int:
    """How many of something the form says it has (``groups``, ``g0-rules``), at most ``limit``."""
    try:
        return max(0, min(int(str(form.get(key, "0"))), limit))
    except ValueError:
        return 0


def _value(rule_type: str, text: str) -> Any:
    """A criterion as typed, in the JSON form the check takes (whole numbers, yes/no)."""
    try:
        kind = VALUE_KINDS[RuleType(rule_type)]
    except ValueError:
        return text
    if kind is ValueKind.NUMBER and text.strip().isdigit():
        return int(text.strip())
    if kind is ValueKind.BOOLEAN and text in ("ja", "nej"):
        return text == "ja"
    return text


def rules_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The rules the form's fields describe (as many groups and rules as it says it has)."""
    groups = []
    for g in range(form_count(form, "groups", MAX_GROUPS)):
        rules = []
        for r in range(form_count(form, f"g{g}-rules", MAX_RULES)):
            rule_type = str(form.get(f"g{g}-r{r}-type", ""))[:50]
            text = str(form.get(f"g{g}-r{r}-value", ""))[:200]
            condition = str(form.get(f"g{g}-r{r}-condition", ""))[:20]
            rules.append({"type": rule_type, "condition": condition, "value": _value(rule_type, text)})
        groups.append({"match": str(form.get(f"g{g}-match", "all"))[:10], "rules": rules})
    return {"join": str(form.get("join", "and"))[:10], "groups": groups}


def rule_count(rules: Mapping[str, Any]) -> int:
    return sum(len(group.get("rules", [])) for group in rules.get("groups", []))


def apply(rules: Mapping[str, Any], action: str) -> dict[str, Any]:
    """``rules`` after the button ``action``: ``add_rule:G``, ``add_group``, ``remove_rule:G:R``
    or ``remove_group:G`` (a group keeps at least one rule; at most ``MAX_RULES`` rules in all;
    anything else changes nothing)."""
    new = copy.deepcopy(dict(rules))
    groups = new.setdefault("groups", [])
    name, _, rest = action.partition(":")
    numbers = [int(part) for part in rest.split(":") if part.isdigit()]
    full = rule_count(new) >= MAX_RULES
    if name == "add_group" and not full:
        groups.append({"match": "all", "rules": [dict(NEW_RULE)]})
    elif name == "add_rule" and not full and numbers and numbers[0] < len(groups):
        groups[numbers[0]].setdefault("rules", []).append(dict(NEW_RULE))
    elif name == "remove_group" and numbers and numbers[0] < len(groups) and len(groups) > 1:
        del groups[numbers[0]]
    elif name == "remove_rule" and len(numbers) == 2 and numbers[0] < len(groups):
        group = groups[numbers[0]]["rules"]
        if numbers[1] < len(group):
            del group[numbers[1]]
            if not group:
                del groups[numbers[0]]
    if not groups:
        groups.append({"match": "all", "rules": [dict(NEW_RULE)]})
    return new


def field_of(pointer: str) -> str:
    """The form field a problem's pointer names: ``g0-r1-value``, ``g0-match``, ``join`` or
    ``rules`` (the rules as a whole)."""
    if pointer.startswith("/join"):
        return "join"
    match = _POINTER.match(pointer)
    if not match:
        return "rules"
    group, rule, part = match.groups()
    if rule is None:
        return f"g{group}-match" if pointer.endswith("/match") else "rules"
    return f"g{group}-r{rule}-{part or 'type'}"
