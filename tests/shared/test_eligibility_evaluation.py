"""Evaluation of every rule type and condition at its boundaries, groups, joins and explanations."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from shared.eligibility import (
    DEFAULT_REFERENCE,
    CitizenProfile,
    EligibilityIndex,
    RuleType,
    explain,
    is_eligible,
    parse_citizen,
    parse_rules,
)
from shared.eligibility.model import ALLOWED_CONDITIONS, Condition

REFERENCE = DEFAULT_REFERENCE.with_changes(other_actors=["Job & Vejledning ApS", "Karriereværkstedet"])
REGISTERED = date(2026, 1, 5)


def citizen(**fields: Any) -> CitizenProfile:
    return parse_citizen(fields, REFERENCE)


def holds(rule_type: str, condition: str, value: Any, person: CitizenProfile, day: date) -> bool:
    rules = parse_rules(
        {"groups": [{"match": "all", "rules": [{"type": rule_type, "condition": condition, "value": value}]}]},
        REFERENCE,
    )
    decided = is_eligible(rules, person.facts_on(day))
    assert EligibilityIndex([("offer", rules)]).eligible(person.facts_on(day)) == (["offer"] if decided else [])
    return decided


BORN_15_JUNE_1990 = citizen(cpr="150690-1234")
BIRTHDAY = date(2026, 6, 15)  # turns 36
DAY_BEFORE = date(2026, 6, 14)  # still 35


@pytest.mark.parametrize(
    ("condition", "value", "on_birthday", "day_before"),
    [
        ("eq", 36, True, False),
        ("eq", 35, False, True),
        ("ne", 36, False, True),
        ("gt", 35, True, False),
        ("gte", 36, True, False),
        ("lt", 36, False, True),
        ("lte", 35, False, True),
        ("gte", 35, True, True),
        ("lt", 37, True, True),
    ],
)
def test_age_at_the_birthday(condition: str, value: int, on_birthday: bool, day_before: bool) -> None:
    assert holds("age", condition, value, BORN_15_JUNE_1990, BIRTHDAY) is on_birthday
    assert holds("age", condition, value, BORN_15_JUNE_1990, DAY_BEFORE) is day_before


@pytest.mark.parametrize(
    ("day", "is_26"),
    [(date(2026, 2, 28), False), (date(2026, 3, 1), True), (date(2027, 3, 1), False), (date(2028, 2, 29), False)],
)
def test_age_of_someone_born_29_february(day: date, is_26: bool) -> None:
    leapling = citizen(cpr="290200-4000")  # born 29 February 2000: 26 on 1 March 2026
    assert holds("age", "eq", 26, leapling, day) is is_26
    assert leapling.age_on(date(2028, 2, 29)) == 28 and leapling.age_on(date(2028, 2, 28)) == 27


@pytest.mark.parametrize(
    ("condition", "value", "exactly", "day_short"),
    [
        ("gte", 4, True, False),
        ("gt", 3, True, False),
        ("gt", 4, False, False),
        ("lt", 4, False, True),
        ("lte", 3, False, True),
        ("lte", 4, True, True),
        ("ne", 4, False, True),
        ("ne", 3, True, False),
    ],
)
def test_registration_weeks_at_exactly_n_weeks(condition: str, value: int, exactly: bool, day_short: bool) -> None:
    person = citizen(registration_date=REGISTERED.isoformat())
    four_weeks = REGISTERED + timedelta(weeks=4)
    assert person.registration_weeks_on(four_weeks) == 4
    assert person.registration_weeks_on(four_weeks - timedelta(days=1)) == 3
    assert holds("registration_weeks", condition, value, person, four_weeks) is exactly
    assert holds("registration_weeks", condition, value, person, four_weeks - timedelta(days=1)) is day_short


def test_registration_on_the_day_itself_and_in_the_future() -> None:
    person = citizen(registration_date=REGISTERED.isoformat())
    assert person.registration_weeks_on(REGISTERED) == 0
    assert holds("registration_weeks", "lt", 1, person, REGISTERED)
    before = REGISTERED - timedelta(days=1)  # not registered yet: no value
    assert person.registration_weeks_on(before) is None
    assert not holds("registration_weeks", "lt", 1, person, before)
    assert holds("registration_weeks", "ne", 1, person, before)


DAY = date(2026, 3, 2)
FULL = citizen(
    cpr="150690-1234",
    contact_group="Dagpengemodtager",
    assessment_group="Jobparat",
    sick_pay_category="2",
    person_group_markers=["STAT-UNGE", "STAT-SENIOR"],
    job_centre="10101",
    other_actor=True,
    other_actor_referrals=["Karriereværkstedet"],
    registration_date="2025-12-01",
    in_activation=False,
    unemployment_fund="HK Danmarks A-kasse",
)


@pytest.mark.parametrize(
    ("rule_type", "condition", "value", "expected"),
    [
        ("contact_group", "eq", "Dagpengemodtager", True),
        ("contact_group", "eq", "Kontanthjælpsmodtager", False),
        ("contact_group", "ne", "Dagpengemodtager", False),
        ("contact_group", "ne", "Kontanthjælpsmodtager", True),
        ("assessment_group", "eq", "Jobparat", True),
        ("assessment_group", "ne", "Jobparat", False),
        ("assessment_group", "eq", "Aktivitetsparat", False),
        ("sick_pay_category", "eq", 2, True),
        ("sick_pay_category", "eq", "1", False),
        ("sick_pay_category", "ne", "3", True),
        ("job_centre", "eq", "10101", True),
        ("job_centre", "ne", "10101", False),
        ("job_centre", "eq", "10102", False),
        ("other_actor", "eq", True, True),
        ("other_actor", "eq", False, False),
        ("other_actor", "ne", True, False),
        ("in_activation", "eq", False, True),
        ("in_activation", "ne", False, False),
        ("in_activation", "eq", True, False),
        ("unemployment_fund", "eq", "HK Danmarks A-kasse", True),
        ("unemployment_fund", "ne", "HK Danmarks A-kasse", False),
        ("unemployment_fund", "eq", "3F A-kasse", False),
        ("person_group_marker", "has", "STAT-UNGE", True),
        ("person_group_marker", "has", "STAT-FLERE-SKAL-MED", False),
        ("person_group_marker", "has_not", "STAT-SENIOR", False),
        ("person_group_marker", "has_not", "STAT-FLERE-SKAL-MED", True),
        ("other_actor_referral", "has", "Karriereværkstedet", True),
        ("other_actor_referral", "has", "Job & Vejledning ApS", False),
        ("other_actor_referral", "has_not", "Karriereværkstedet", False),
        ("other_actor_referral", "has_not", "Job & Vejledning ApS", True),
        ("registration_weeks", "gte", 13, True),  # 1 December to 2 March: 91 days = 13 weeks
        ("registration_weeks", "gt", 13, False),
        ("age", "eq", 35, True),
    ],
)
def test_every_type_with_a_value(rule_type: str, condition: str, value: Any, expected: bool) -> None:
    assert holds(rule_type, condition, value, FULL, DAY) is expected


SOME_VALUE: dict[RuleType, Any] = {
    RuleType.AGE: 30,
    RuleType.CONTACT_GROUP: "Dagpengemodtager",
    RuleType.ASSESSMENT_GROUP: "Jobparat",
    RuleType.PERSON_GROUP_MARKER: "STAT-UNGE",
    RuleType.JOB_CENTRE: "10101",
    RuleType.OTHER_ACTOR: True,
    RuleType.OTHER_ACTOR_REFERRAL: "Karriereværkstedet",
    RuleType.SICK_PAY_CATEGORY: "1",
    RuleType.REGISTRATION_WEEKS: 4,
    RuleType.IN_ACTIVATION: False,
    RuleType.UNEMPLOYMENT_FUND: "3F A-kasse",
}


@pytest.mark.parametrize(("rule_type", "condition"), [(t, c) for t in RuleType for c in ALLOWED_CONDITIONS[t]])
def test_without_a_value_only_ne_and_has_not_hold(rule_type: RuleType, condition: Condition) -> None:
    nobody = citizen()  # every field absent
    explicit_nulls = citizen(**{name: None for name in ("cpr", "contact_group", "person_group_markers", "other_actor")})
    expected = condition in (Condition.NE, Condition.HAS_NOT)
    assert holds(rule_type.value, condition.value, SOME_VALUE[rule_type], nobody, DAY) is expected
    assert holds(rule_type.value, condition.value, SOME_VALUE[rule_type], explicit_nulls, DAY) is expected


def group(match: str, *rules: tuple[str, str, Any]) -> dict[str, Any]:
    return {"match": match, "rules": [{"type": t, "condition": c, "value": v} for t, c, v in rules]}


YOUNG = ("age", "lt", 30)  # FULL is 35: fails
INSURED = ("contact_group", "eq", "Dagpengemodtager")  # holds
JOBREADY = ("assessment_group", "eq", "Jobparat")  # holds
ACTIVE = ("in_activation", "eq", True)  # fails


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"groups": [group("all", INSURED, JOBREADY)]}, True),
        ({"groups": [group("all", INSURED, YOUNG)]}, False),
        ({"groups": [group("any", INSURED, YOUNG)]}, True),
        ({"groups": [group("any", ACTIVE, YOUNG)]}, False),
        ({"join": "and", "groups": [group("all", INSURED), group("any", YOUNG, JOBREADY)]}, True),
        ({"join": "and", "groups": [group("all", INSURED), group("any", YOUNG, ACTIVE)]}, False),
        ({"join": "or", "groups": [group("all", YOUNG), group("all", ACTIVE)]}, False),
        ({"join": "or", "groups": [group("all", YOUNG), group("all", ACTIVE), group("any", JOBREADY)]}, True),
    ],
)
def test_groups_and_joins(data: dict[str, Any], expected: bool) -> None:
    rules = parse_rules(data, REFERENCE)
    assert is_eligible(rules, FULL.facts_on(DAY)) is expected
    assert explain(rules, FULL.facts_on(DAY)).eligible is expected


def test_explanation_names_the_failed_groups_and_rules_in_words() -> None:
    data = {
        "join": "and",
        "groups": [group("all", INSURED, YOUNG), group("any", ACTIVE, ("job_centre", "eq", "10102"))],
    }
    decision = explain(parse_rules(data, REFERENCE), FULL.facts_on(DAY), REFERENCE)
    assert decision.to_json() == {
        "eligible": False,
        "failed": [
            {
                "group": 1,
                "match": "all",
                "code": "group_not_met",
                "message": "Gruppe 1 ('Alle' af følgende) er ikke opfyldt: 1 af 2 regler er ikke opfyldt.",
                "rules": [
                    {
                        "group": 1,
                        "rule": 2,
                        "path": "/groups/0/rules/1",
                        "type": "age",
                        "condition": "lt",
                        "value": 30,
                        "code": "not_met",
                        "message": "Alder mindre end 30 er ikke opfyldt: borgeren er 35 år.",
                    }
                ],
            },
            {
                "group": 2,
                "match": "any",
                "code": "group_not_met",
                "message": "Gruppe 2 ('Enhver' af følgende) er ikke opfyldt: ingen af reglerne er opfyldt.",
                "rules": [
                    {
                        "group": 2,
                        "rule": 1,
                        "path": "/groups/1/rules/0",
                        "type": "in_activation",
                        "condition": "eq",
                        "value": True,
                        "code": "not_met",
                        "message": "I aktivering lig med Ja er ikke opfyldt: borgeren er ikke i aktivering.",
                    },
                    {
                        "group": 2,
                        "rule": 2,
                        "path": "/groups/1/rules/1",
                        "type": "job_centre",
                        "condition": "eq",
                        "value": "10102",
                        "code": "not_met",
                        "message": "Jobcenter lig med 10102 er ikke opfyldt: borgerens jobcenter er 10101.",
                    },
                ],
            },
        ],
    }
    assert decision.message.startswith("Borgeren opfylder ikke reglerne for deltagere: Alder mindre end 30")
    assert "1234" not in json.dumps(decision.to_json()) + decision.message, "never the CPR number"


def test_explanation_of_a_missing_value_and_of_markers_by_name() -> None:
    data = {
        "groups": [
            group("all", ("unemployment_fund", "eq", "3F A-kasse"), ("person_group_marker", "has_not", "STAT-UNGE"))
        ]
    }
    failed = explain(parse_rules(data, REFERENCE), citizen(person_group_markers="STAT-UNGE").facts_on(DAY)).failed
    assert [(r.code, r.message) for r in failed[0].rules] == [
        ("missing_value", "A-kasse lig med 3F A-kasse er ikke opfyldt: borgeren har ingen a-kasse."),
        (
            "not_met",
            "Persongruppemarkering har ikke Særlig indsats for unge under 30 år er ikke opfyldt: "
            "borgeren har markeringerne Særlig indsats for unge under 30 år.",
        ),
    ]


def test_an_eligible_citizen_has_no_failures_even_if_an_or_group_failed() -> None:
    rules = parse_rules({"join": "or", "groups": [group("all", YOUNG), group("all", INSURED)]}, REFERENCE)
    decision = explain(rules, FULL.facts_on(DAY))
    assert decision.eligible and decision.to_json() == {"eligible": True, "failed": []}
    assert decision.message == "Borgeren opfylder reglerne for deltagere."


def test_an_and_join_lists_only_the_groups_that_failed() -> None:
    rules = parse_rules({"join": "and", "groups": [group("all", INSURED), group("all", YOUNG)]}, REFERENCE)
    assert [g.group for g in explain(rules, FULL.facts_on(DAY)).failed] == [2]


def test_the_index_keeps_the_given_order_and_explains() -> None:
    offers = [
        ("c", parse_rules({"groups": [group("all", INSURED)]}, REFERENCE)),
        (
            "a",
            parse_rules(
                {"join": "or", "groups": [group("all", YOUNG), group("any", JOBREADY), group("all", ACTIVE)]}, REFERENCE
            ),
        ),
        ("b", parse_rules({"groups": [group("all", YOUNG)]}, REFERENCE)),
        ("d", parse_rules({"join": "and", "groups": [group("all", INSURED), group("any", JOBREADY)]}, REFERENCE)),
    ]
    index = EligibilityIndex(offers)
    assert len(index) == 4 and index.distinct_rules == 4
    assert index.eligible(FULL.facts_on(DAY)) == ["c", "a", "d"]
    assert index.eligible(citizen().facts_on(DAY)) == []
    assert not index.is_eligible("b", FULL.facts_on(DAY))
    assert index.explain("b", FULL.facts_on(DAY)).failed[0].rules[0].rule.type is RuleType.AGE
    assert EligibilityIndex([]).eligible(FULL.facts_on(DAY)) == []
    with pytest.raises(ValueError, match="own key"):
        EligibilityIndex([offers[0], offers[0]])
