"""Validation of participant rules: every wrong input gives a problem with a path, a code and Danish words."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shared.eligibility import (
    DEFAULT_REFERENCE,
    InvalidRules,
    JobCentreScope,
    MarkerLevel,
    PersonGroupMarker,
    check_rules,
    parse_rules,
)
from shared.eligibility.model import Condition, Join, Match, Rule, RuleType
from shared.errors import ValidationFailed

# R-3 of DOMAIN.md written out again on purpose, so a change in the code cannot change the test.
ALLOWED = {
    "age": {"eq", "ne", "gt", "gte", "lt", "lte"},
    "contact_group": {"eq", "ne"},
    "assessment_group": {"eq", "ne"},
    "person_group_marker": {"has", "has_not"},
    "job_centre": {"eq", "ne"},
    "other_actor": {"eq", "ne"},
    "other_actor_referral": {"has", "has_not"},
    "sick_pay_category": {"eq", "ne"},
    "registration_weeks": {"gt", "gte", "lt", "lte", "ne"},
    "in_activation": {"eq", "ne"},
    "unemployment_fund": {"eq", "ne"},
}
CONDITIONS = ("eq", "ne", "gt", "gte", "lt", "lte", "has", "has_not")
GOOD_VALUE: dict[str, Any] = {
    "age": 25,
    "contact_group": "Dagpengemodtager",
    "assessment_group": "Jobparat",
    "person_group_marker": "STAT-UNGE",
    "job_centre": "10101",
    "other_actor": True,
    "other_actor_referral": "Job & Vejledning ApS",
    "sick_pay_category": "1",
    "registration_weeks": 26,
    "in_activation": False,
    "unemployment_fund": "3F A-kasse",
}
REFERENCE = DEFAULT_REFERENCE.with_changes(other_actors=["Job & Vejledning ApS"])
ROOT = Path(__file__).resolve().parents[2]


def one_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return {"join": "and", "groups": [{"match": "all", "rules": [rule]}]}


def problems_of(data: object, **kwargs: Any) -> list[tuple[str, str]]:
    rules, problems = check_rules(data, kwargs.pop("reference", REFERENCE), **kwargs)
    assert rules is None, "invalid input never yields rules"
    assert problems, "invalid input always yields a problem"
    for problem in problems:
        assert problem.message and problem.message[0].isupper(), "a Danish sentence for staff"
    return [(p.path, p.code) for p in problems]


def test_the_type_table_is_exactly_r3() -> None:
    assert set(ALLOWED) == {t.value for t in RuleType}


@pytest.mark.parametrize(("rule_type", "condition"), [(t, c) for t in ALLOWED for c in sorted(ALLOWED[t])])
def test_every_allowed_combination_is_accepted(rule_type: str, condition: str) -> None:
    rules = parse_rules(
        one_rule({"type": rule_type, "condition": condition, "value": GOOD_VALUE[rule_type]}), REFERENCE
    )
    assert rules.groups[0].rules == (Rule(RuleType(rule_type), Condition(condition), GOOD_VALUE[rule_type]),)


@pytest.mark.parametrize(
    ("rule_type", "condition"), [(t, c) for t in ALLOWED for c in CONDITIONS if c not in ALLOWED[t]]
)
def test_every_other_combination_is_refused(rule_type: str, condition: str) -> None:
    data = one_rule({"type": rule_type, "condition": condition, "value": GOOD_VALUE[rule_type]})
    assert problems_of(data) == [("/groups/0/rules/0/condition", "condition_not_allowed")]


def test_a_full_example_is_canonical_and_round_trips() -> None:
    data = {
        "join": "or",
        "groups": [
            {"match": "all", "rules": [{"type": t, "condition": sorted(ALLOWED[t])[0], "value": v}]}
            for t, v in GOOD_VALUE.items()
        ],
    }
    rules = parse_rules(data, REFERENCE)
    assert rules.join is Join.OR and rules.rule_count == 11
    assert parse_rules(rules.to_json(), REFERENCE) == rules


def test_values_are_spelt_as_the_lists_spell_them() -> None:
    data = {
        "groups": [
            {
                "match": "any",
                "rules": [
                    {"type": "contact_group", "condition": "eq", "value": "  dagpengemodtager "},
                    {"type": "contact_group", "condition": "eq", "value": "Rehabilient"},  # the guide's spelling
                    {"type": "sick_pay_category", "condition": "eq", "value": 2},
                    {"type": "in_activation", "condition": "eq", "value": "ja"},
                    {"type": "other_actor", "condition": "ne", "value": "Nej"},
                    {"type": "person_group_marker", "condition": "has", "value": "stat-unge"},
                    {"type": "unemployment_fund", "condition": "eq", "value": "krifa a-kasse"},
                ],
            }
        ]
    }
    rules = parse_rules(data, REFERENCE)
    assert rules.join is Join.AND and rules.groups[0].match is Match.ANY
    assert [r.value for r in rules.groups[0].rules] == [
        "Dagpengemodtager",
        "Rehabilitand",
        "2",
        True,
        False,
        "STAT-UNGE",
        "Krifa A-kasse",
    ]


def rules_of(count: int, groups: int = 1) -> dict[str, Any]:
    rule = {"type": "age", "condition": "gte", "value": 18}
    sizes = [count // groups + (1 if i < count % groups else 0) for i in range(groups)]
    return {"join": "and", "groups": [{"match": "all", "rules": [rule] * size} for size in sizes]}


def test_between_1_and_30_rules() -> None:
    assert parse_rules(rules_of(1)).rule_count == 1
    assert parse_rules(rules_of(30, groups=4)).rule_count == 30
    assert problems_of(rules_of(31)) == [("/groups", "too_many_rules")]
    assert problems_of(rules_of(31, groups=5)) == [("/groups", "too_many_rules")]
    assert problems_of({"join": "and", "groups": []}) == [("/groups", "too_few_rules")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], [("", "not_an_object")]),
        ("age > 25", [("", "not_an_object")]),
        ({"join": "and"}, [("/groups", "missing_field")]),
        ({"groups": {"match": "all"}}, [("/groups", "not_a_list")]),
        ({**rules_of(1), "join": "xor"}, [("/join", "invalid_join")]),
        ({**rules_of(1), "join": "Og"}, [("/join", "invalid_join")]),
        ({"groups": rules_of(2, groups=2)["groups"]}, [("/join", "missing_field")]),
        ({**rules_of(1), "name": "x"}, [("/name", "unknown_field")]),
        ({"groups": ["all"]}, [("/groups/0", "not_an_object"), ("/groups", "too_few_rules")]),
        (
            {"groups": [{"rules": [{"type": "age", "condition": "gt", "value": 1}]}]},
            [("/groups/0/match", "missing_field")],
        ),
        (
            {"groups": [{"match": "alle", "rules": [{"type": "age", "condition": "gt", "value": 1}]}]},
            [("/groups/0/match", "invalid_match")],
        ),
        ({"groups": [{"match": "all"}]}, [("/groups/0/rules", "missing_field"), ("/groups", "too_few_rules")]),
        (
            {"groups": [{"match": "all", "rules": "age"}]},
            [("/groups/0/rules", "not_a_list"), ("/groups", "too_few_rules")],
        ),
        (
            {"join": "or", "groups": [{"match": "all", "rules": []}, rules_of(1)["groups"][0]]},
            [("/groups/0/rules", "empty_group")],
        ),
        (
            {"groups": [{"match": "all", "rules": []}]},
            [("/groups/0/rules", "empty_group"), ("/groups", "too_few_rules")],
        ),
        ({"groups": [{"match": "all", "rules": [1]}]}, [("/groups/0/rules/0", "not_an_object")]),
        (
            {"groups": [{"match": "all", "rules": [{"type": "age", "condition": "gt", "value": 1, "x": 0}]}]},
            [("/groups/0/rules/0/x", "unknown_field")],
        ),
        (
            {"groups": [{"match": "all", "rules": [{"type": "alder", "condition": "gt", "value": 1}]}]},
            [("/groups/0/rules/0/type", "unknown_type")],
        ),
        (
            {"groups": [{"match": "all", "rules": [{"type": ["age"], "condition": "gt", "value": 1}]}]},
            [("/groups/0/rules/0/type", "unknown_type")],
        ),
        (
            {"groups": [{"match": "all", "rules": [{"condition": "gt", "value": 1}]}]},
            [("/groups/0/rules/0/type", "missing_field")],
        ),
        (
            {"groups": [{"match": "all", "rules": [{"type": "age", "condition": ">", "value": 1}]}]},
            [("/groups/0/rules/0/condition", "unknown_condition")],
        ),
        (
            {"groups": [{"match": "all", "rules": [{"type": "age", "value": 1}]}]},
            [("/groups/0/rules/0/condition", "missing_field")],
        ),
        (
            {"groups": [{"match": "all", "rules": [{"type": "age", "condition": "gt"}]}]},
            [("/groups/0/rules/0/value", "missing_field")],
        ),
        (
            {"groups": [{"match": "all", "rules": [{"type": "age", "condition": "gt", "value": None}]}]},
            [("/groups/0/rules/0/value", "missing_field")],
        ),
    ],
)
def test_wrong_structure(data: object, expected: list[tuple[str, str]]) -> None:
    assert problems_of(data) == expected


@pytest.mark.parametrize(
    ("rule_type", "condition", "value", "code"),
    [
        ("age", "gt", 0, "not_positive"),
        ("age", "gt", -3, "not_positive"),
        ("age", "gt", 2.5, "not_whole_number"),
        ("age", "gt", 25.0, "not_whole_number"),
        ("age", "gt", "25", "not_whole_number"),
        ("age", "gt", True, "not_whole_number"),
        ("registration_weeks", "gte", 0, "not_positive"),
        ("registration_weeks", "gte", 1.5, "not_whole_number"),
        ("registration_weeks", "gte", [4], "not_whole_number"),
        ("in_activation", "eq", "måske", "not_boolean"),
        ("in_activation", "eq", 1, "not_boolean"),
        ("other_actor", "ne", "", "not_boolean"),
        ("contact_group", "eq", "Studerende", "unknown_value"),
        ("contact_group", "eq", 3, "not_text"),
        ("contact_group", "eq", "  ", "not_text"),
        ("assessment_group", "ne", "Jobklar", "unknown_value"),
        ("sick_pay_category", "eq", 4, "unknown_value"),
        ("sick_pay_category", "eq", "A", "unknown_value"),
        ("unemployment_fund", "eq", "Min Fagforening", "unknown_value"),
        ("other_actor_referral", "has", "Ukendt ApS", "unknown_value"),
        ("job_centre", "eq", "1234", "invalid_job_centre"),
        ("job_centre", "eq", "12a45", "invalid_job_centre"),
        ("job_centre", "eq", 10101, "not_text"),
        ("person_group_marker", "has", "UKENDT", "unknown_value"),
    ],
)
def test_wrong_values(rule_type: str, condition: str, value: object, code: str) -> None:
    data = one_rule({"type": rule_type, "condition": condition, "value": value})
    assert problems_of(data) == [("/groups/0/rules/0/value", code)]


def test_other_actors_come_from_the_job_centre_and_the_seed_has_none() -> None:
    data = one_rule({"type": "other_actor_referral", "condition": "has", "value": "Job & Vejledning ApS"})
    assert problems_of(data, reference=DEFAULT_REFERENCE) == [("/groups/0/rules/0/value", "unknown_value")]
    assert parse_rules(data, REFERENCE).rule_count == 1


def test_job_centres_are_checked_against_the_sub_job_centres_when_listed() -> None:
    data = one_rule({"type": "job_centre", "condition": "eq", "value": "99999"})
    assert parse_rules(data, DEFAULT_REFERENCE).rule_count == 1  # no list: any 5-digit code
    listed = DEFAULT_REFERENCE.with_changes(job_centres=["10101", "10102"])
    assert problems_of(data, reference=listed) == [("/groups/0/rules/0/value", "unknown_value")]


def test_markers_must_be_visible_to_the_offers_job_centre() -> None:
    reference = DEFAULT_REFERENCE.with_changes(
        person_group_markers=[
            *DEFAULT_REFERENCE.person_group_markers,
            PersonGroupMarker("SYD-1", "Projekt Syd", MarkerLevel.REGION, "AMK Syd"),
            PersonGroupMarker("JC-16101", "Glostrup-projekt", MarkerLevel.JOB_CENTRE, "16101"),
        ]
    )
    glostrup = JobCentreScope("16101", "AMK Øst")
    for code in ("STAT-UNGE", "JC-16101"):
        assert parse_rules(
            one_rule({"type": "person_group_marker", "condition": "has", "value": code}), reference, scope=glostrup
        )
    data = one_rule({"type": "person_group_marker", "condition": "has_not", "value": "SYD-1"})
    assert problems_of(data, reference=reference, scope=glostrup) == [("/groups/0/rules/0/value", "marker_not_visible")]
    assert parse_rules(data, reference).rule_count == 1  # without a scope, any listed marker


def test_every_problem_is_reported_at_once_with_group_and_rule_in_words() -> None:
    data = {
        "join": "or",
        "groups": [
            {"match": "all", "rules": [{"type": "age", "condition": "has", "value": 0}]},
            {"match": "any", "rules": [{"type": "contact_group", "condition": "eq", "value": "Nej"}]},
            {"match": "all", "rules": []},
        ],
    }
    _, problems = check_rules(data)
    assert [(p.path, p.code) for p in problems] == [
        ("/groups/0/rules/0/condition", "condition_not_allowed"),
        ("/groups/0/rules/0/value", "not_positive"),
        ("/groups/1/rules/0/value", "unknown_value"),
        ("/groups/2/rules", "empty_group"),
    ]
    assert problems[0].message.startswith("Gruppe 1, regel 1: Alder kan ikke bruges med 'har'")
    assert problems[2].message == "Gruppe 2, regel 1: 'Nej' findes ikke i listen over kontaktgrupper."
    assert problems[3].message.startswith("Gruppe 3 har ingen regler")


def test_invalid_rules_become_a_422_with_the_list() -> None:
    with pytest.raises(InvalidRules) as caught:
        parse_rules(one_rule({"type": "age", "condition": "gt", "value": 0}))
    error = caught.value.to_validation_failed()
    assert isinstance(error, ValidationFailed) and error.status == 422
    assert error.extra["errors"] == [
        {
            "path": "/groups/0/rules/0/value",
            "code": "not_positive",
            "message": "Gruppe 1, regel 1: Alder skal udfyldes med et helt tal større end 0.",
        }
    ]
    assert error.detail == "Gruppe 1, regel 1: Alder skal udfyldes med et helt tal større end 0."


def test_without_reference_lists_only_the_shape_is_checked() -> None:
    data = one_rule({"type": "contact_group", "condition": "eq", "value": "Ny kontaktgruppe fra reformen"})
    assert parse_rules(data, None).groups[0].rules[0].value == "Ny kontaktgruppe fra reformen"
    assert problems_of(one_rule({"type": "age", "condition": "has", "value": 5}), reference=None) == [
        ("/groups/0/rules/0/condition", "condition_not_allowed")
    ]


def test_the_package_is_pure() -> None:
    code = (
        "import sys, shared.eligibility, shared.cpr; "
        "print(sorted(m for m in ('flask', 'apiflask', 'sqlalchemy', 'kombu', 'celery') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
