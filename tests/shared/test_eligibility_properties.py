"""Laws of the rule language, checked on random rules and citizens (hypothesis).

Negating a rule swaps its condition (eq/ne, gt/lte, gte/lt, has/has_not). For a citizen who has
a value this is the exact complement; for a citizen without one, ordered conditions both fail
(only ne and has_not hold without a value), so the negation laws draw citizens whose age and
registration are known, while every other fact may be missing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.eligibility import EligibilityIndex, compile_rules, parse_citizen, parse_rules
from shared.eligibility.citizen import Facts
from shared.eligibility.model import (
    ALLOWED_CONDITIONS,
    NEGATION,
    Condition,
    Join,
    Match,
    Rule,
    RuleGroup,
    RuleSet,
    RuleType,
)
from shared.eligibility.reference import DEFAULT_REFERENCE

REFERENCE = DEFAULT_REFERENCE.with_changes(other_actors=["Aktør A", "Aktør B"])
# Small domains, so random rules and citizens often meet.
DOMAIN: dict[RuleType, list[Any]] = {
    RuleType.AGE: [17, 18, 25, 30, 60],
    RuleType.CONTACT_GROUP: ["Dagpengemodtager", "Jobafklaring", "Uden ydelse"],
    RuleType.ASSESSMENT_GROUP: ["Jobparat", "Aktivitetsparat"],
    RuleType.PERSON_GROUP_MARKER: ["STAT-UNGE", "STAT-SENIOR"],
    RuleType.JOB_CENTRE: ["10101", "10102"],
    RuleType.OTHER_ACTOR: [True, False],
    RuleType.OTHER_ACTOR_REFERRAL: ["Aktør A", "Aktør B"],
    RuleType.SICK_PAY_CATEGORY: ["1", "2", "3"],
    RuleType.REGISTRATION_WEEKS: [1, 4, 26, 52],
    RuleType.IN_ACTIVATION: [True, False],
    RuleType.UNEMPLOYMENT_FUND: ["3F A-kasse", "Krifa A-kasse"],
}
ORDERED = (RuleType.AGE, RuleType.REGISTRATION_WEEKS)
SETS = (RuleType.PERSON_GROUP_MARKER, RuleType.OTHER_ACTOR_REFERRAL)


@st.composite
def rules(draw: st.DrawFn, *, negatable: bool = False) -> Rule:
    """A valid rule; with ``negatable`` only one whose negation is allowed for its type too."""
    rule_type = draw(st.sampled_from(list(RuleType)))
    conditions = [
        c for c in ALLOWED_CONDITIONS[rule_type] if not negatable or NEGATION[c] in ALLOWED_CONDITIONS[rule_type]
    ]
    if not conditions:  # cannot happen for today's types; keeps the strategy total
        rule_type, conditions = RuleType.AGE, list(ALLOWED_CONDITIONS[RuleType.AGE])
    condition = draw(st.sampled_from(conditions))
    return Rule(rule_type, condition, draw(st.sampled_from(DOMAIN[rule_type])))


@st.composite
def facts(draw: st.DrawFn, *, known_numbers: bool = False) -> Facts:
    """A citizen's facts: each value from the domain (nearby numbers too) or missing."""
    result: Facts = {}
    for rule_type, values in DOMAIN.items():
        if rule_type in SETS:
            result[rule_type] = frozenset(draw(st.lists(st.sampled_from(values), max_size=2)))
        elif rule_type in ORDERED:
            numbers = st.integers(0, 70)
            result[rule_type] = draw(numbers if known_numbers else st.none() | numbers)
        else:
            result[rule_type] = draw(st.none() | st.sampled_from(values))
    return result


def negated(rule: Rule) -> Rule:
    return Rule(rule.type, NEGATION[rule.condition], rule.value)


def valid(rule_set: RuleSet) -> RuleSet:
    """Each rule set tested is also a valid JSON document (round trip through validation)."""
    checked = parse_rules(rule_set.to_json(), REFERENCE)
    assert checked == rule_set
    return checked


def decide(rule_set: RuleSet, citizen_facts: Facts) -> bool:
    return compile_rules(rule_set).matches(citizen_facts)


def one_group(match: Match, group_rules: list[Rule]) -> RuleSet:
    return RuleSet(Join.AND, (RuleGroup(match, tuple(group_rules)),))


@given(st.lists(rules(negatable=True), min_size=1, max_size=8), facts(known_numbers=True))
def test_any_group_of_negated_rules_is_the_negation_of_the_all_group(group_rules: list[Rule], f: Facts) -> None:
    all_group = valid(one_group(Match.ALL, group_rules))
    any_of_negated = valid(one_group(Match.ANY, [negated(r) for r in group_rules]))
    assert decide(any_of_negated, f) == (not decide(all_group, f))


@given(st.lists(rules(negatable=True), min_size=1, max_size=8), facts(known_numbers=True))
def test_all_group_of_negated_rules_is_the_negation_of_the_any_group(group_rules: list[Rule], f: Facts) -> None:
    any_group = valid(one_group(Match.ANY, group_rules))
    all_of_negated = valid(one_group(Match.ALL, [negated(r) for r in group_rules]))
    assert decide(all_of_negated, f) == (not decide(any_group, f))


def test_without_a_value_an_ordered_rule_and_its_negation_both_fail() -> None:
    nobody = parse_citizen({}).facts_on(date(2026, 1, 1))
    assert not decide(one_group(Match.ALL, [Rule(RuleType.AGE, Condition.GT, 30)]), nobody)
    assert not decide(one_group(Match.ALL, [Rule(RuleType.AGE, Condition.LTE, 30)]), nobody)


groups_st = st.builds(
    lambda match, rs: RuleGroup(match, tuple(rs)),
    st.sampled_from(list(Match)),
    st.lists(rules(), min_size=1, max_size=4),
)


@given(st.lists(groups_st, min_size=1, max_size=5), facts(), st.randoms(use_true_random=False))
def test_join_laws(groups: list[RuleGroup], f: Facts, rnd: Any) -> None:
    each = [decide(RuleSet(Join.AND, (g,)), f) for g in groups]
    joined_and = valid(RuleSet(Join.AND, tuple(groups)))
    joined_or = valid(RuleSet(Join.OR, tuple(groups)))
    assert decide(joined_and, f) == all(each)
    assert decide(joined_or, f) == any(each)
    shuffled = list(groups)
    rnd.shuffle(shuffled)  # the order of groups does not matter
    assert decide(RuleSet(Join.AND, tuple(shuffled)), f) == all(each)
    assert decide(RuleSet(Join.OR, tuple(shuffled)), f) == any(each)
    twice = tuple(groups) + tuple(groups)  # idempotence
    assert decide(RuleSet(Join.AND, twice), f) == all(each)
    assert decide(RuleSet(Join.OR, twice), f) == any(each)


@given(st.lists(rules(), min_size=1, max_size=8), facts())
def test_splitting_a_group_into_groups_keeps_the_meaning(group_rules: list[Rule], f: Facts) -> None:
    singles = tuple(RuleGroup(Match.ALL, (rule,)) for rule in group_rules)
    assert decide(RuleSet(Join.AND, singles), f) == decide(one_group(Match.ALL, group_rules), f)
    assert decide(RuleSet(Join.OR, singles), f) == decide(one_group(Match.ANY, group_rules), f)


@given(
    st.lists(st.lists(rules(negatable=True), min_size=1, max_size=3), min_size=1, max_size=4), facts(known_numbers=True)
)
def test_de_morgan_over_groups_and_joins(raw_groups: list[list[Rule]], f: Facts) -> None:
    original = valid(RuleSet(Join.AND, tuple(RuleGroup(Match.ALL, tuple(g)) for g in raw_groups)))
    negation = valid(RuleSet(Join.OR, tuple(RuleGroup(Match.ANY, tuple(negated(r) for r in g)) for g in raw_groups)))
    assert decide(negation, f) == (not decide(original, f))


rule_sets = st.builds(
    lambda join, groups: RuleSet(join, tuple(groups)),
    st.sampled_from(list(Join)),
    st.lists(groups_st, min_size=1, max_size=5),
)


@settings(max_examples=200)
@given(st.lists(rule_sets, max_size=25), st.lists(facts(), min_size=1, max_size=3))
def test_the_index_agrees_with_deciding_offers_one_by_one(offers: list[RuleSet], citizens: list[Facts]) -> None:
    index = EligibilityIndex(enumerate(offers))
    for f in citizens:
        assert index.eligible(f) == [n for n, rule_set in enumerate(offers) if decide(rule_set, f)]
