"""Citizen profiles from JSON and CSV with the import's field names; every wrong field is reported."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from shared.eligibility import (
    CITIZEN_FIELDS,
    DEFAULT_REFERENCE,
    CitizenProfile,
    InvalidCitizen,
    RuleType,
    citizens_from_csv,
    citizens_from_json,
    parse_citizen,
)

REFERENCE = DEFAULT_REFERENCE.with_changes(other_actors=["Karriereværkstedet"])
ANNE = {
    "cpr": "150690-1234",
    "name": "Anne Andersen",
    "contact_group": "Dagpengemodtager",
    "assessment_group": "Jobparat",
    "sick_pay_category": "2",
    "person_group_markers": ["STAT-UNGE", "LOKAL-7"],
    "job_centre": "10101",
    "other_actor": True,
    "other_actor_referrals": ["Karriereværkstedet", "Et andet jobcenters aktør"],
    "registration_date": "2026-01-05",
    "in_activation": False,
    "unemployment_fund": "HK Danmarks A-kasse",
    "booking_deadline": "2026-03-31",
    "last_meeting_date": "2026-04-15",
    "email": "anne.andersen@borger.example",
}
ANNE_CSV = (
    "cpr,name,contact_group,assessment_group,sick_pay_category,person_group_markers,job_centre,other_actor,"
    "other_actor_referrals,registration_date,in_activation,unemployment_fund,booking_deadline,last_meeting_date,email\n"
    "150690-1234,Anne Andersen,Dagpengemodtager,Jobparat,2,STAT-UNGE;LOKAL-7,10101,ja,"
    "Karriereværkstedet; Et andet jobcenters aktør,2026-01-05,nej,HK Danmarks A-kasse,2026-03-31,2026-04-15,"
    "anne.andersen@borger.example\n"
)


def test_the_import_field_names() -> None:
    assert set(ANNE) == set(CITIZEN_FIELDS)


def test_json_and_csv_give_the_same_profile() -> None:
    from_json = parse_citizen(ANNE, REFERENCE)
    assert citizens_from_json(json.dumps(ANNE), REFERENCE) == [from_json]
    assert citizens_from_csv(ANNE_CSV, REFERENCE) == [from_json]
    assert from_json.birth_date == date(1990, 6, 15)
    assert from_json.person_group_markers == {"STAT-UNGE", "LOKAL-7"}
    assert from_json.other_actor_referrals == {"Karriereværkstedet", "Et andet jobcenters aktør"}
    assert (from_json.other_actor, from_json.in_activation) == (True, False)
    assert from_json.booking_deadline == date(2026, 3, 31) and from_json.last_meeting_date == date(2026, 4, 15)
    assert parse_citizen(from_json.to_json(), REFERENCE) == from_json


def test_facts_on_a_day() -> None:
    facts = parse_citizen(ANNE, REFERENCE).facts_on(date(2026, 6, 15))
    assert facts[RuleType.AGE] == 36
    assert facts[RuleType.REGISTRATION_WEEKS] == 23  # 161 days
    assert facts[RuleType.SICK_PAY_CATEGORY] == "2"
    assert set(facts) == set(RuleType)


def test_semicolon_separated_csv_from_excel_with_a_byte_order_mark() -> None:
    text = (
        "\ufeffcpr;contact_group;person_group_markers;in_activation\n"
        '0101901234;dagpengemodtager;"STAT-UNGE;STAT-SENIOR";Ja\n'
    )
    (profile,) = citizens_from_csv(text)
    assert profile.contact_group == "Dagpengemodtager"  # spelt as the list spells it
    assert profile.person_group_markers == {"STAT-UNGE", "STAT-SENIOR"}
    assert profile.in_activation is True


def test_empty_cells_and_nulls_mean_no_value() -> None:
    (from_csv,) = citizens_from_csv("cpr,contact_group,person_group_markers,registration_date\n,,,\n")
    from_json = parse_citizen({"cpr": None, "contact_group": "", "person_group_markers": [], "registration_date": None})
    assert from_csv == from_json == CitizenProfile()
    assert from_json.age_on(date(2026, 1, 1)) is None
    assert from_json.registration_weeks_on(date(2026, 1, 1)) is None


def test_a_citizen_born_after_the_day_has_no_age() -> None:
    born_2050 = parse_citizen({"cpr": "010150-5000"})
    assert born_2050.birth_date == date(2050, 1, 1)
    assert born_2050.age_on(date(2026, 1, 1)) is None


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("cpr", "310290-1234", "invalid_cpr"),
        ("cpr", "290200-0000", "invalid_cpr"),
        ("cpr", 1506901234, "invalid_cpr"),
        ("name", 7, "not_text"),
        ("contact_group", "Studerende", "unknown_value"),
        ("assessment_group", "Klar", "unknown_value"),
        ("sick_pay_category", "4", "unknown_value"),
        ("sick_pay_category", ["1"], "unknown_value"),
        ("person_group_markers", [1, 2], "not_a_list"),
        ("person_group_markers", {"STAT-UNGE": True}, "not_a_list"),
        ("job_centre", "1010", "invalid_job_centre"),
        ("job_centre", 10101, "not_text"),
        ("other_actor", "måske", "not_boolean"),
        ("in_activation", 2, "not_boolean"),
        ("registration_date", "05-01-2026", "invalid_date"),
        ("registration_date", "2026-02-30", "invalid_date"),
        ("registration_date", "20260105", "invalid_date"),
        ("booking_deadline", 20260331, "invalid_date"),
        ("last_meeting_date", "i morgen", "invalid_date"),
        ("unemployment_fund", ["3F A-kasse"], "not_text"),
        ("birth_date", "1990-06-15", "unknown_field"),
        ("email", "anne.andersen", "invalid_email"),
        ("email", "a@" + "b" * 250 + ".dk", "invalid_email"),
    ],
)
def test_every_wrong_field(field: str, value: Any, code: str) -> None:
    with pytest.raises(InvalidCitizen) as caught:
        parse_citizen({**ANNE, field: value}, REFERENCE)
    assert caught.value.problems_json() == [
        {"path": f"/{field}", "code": code, "message": caught.value.problems[0].message}
    ]
    assert caught.value.problems[0].message[0].isupper()
    assert "1234" not in str(caught.value), "never the CPR digits"


def test_all_problems_of_all_rows_with_their_row() -> None:
    rows = [ANNE, {**ANNE, "cpr": "999999-9999", "job_centre": "1"}, "Bent"]
    with pytest.raises(InvalidCitizen) as caught:
        citizens_from_json(json.dumps(rows), REFERENCE)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("/1/cpr", "invalid_cpr"),
        ("/1/job_centre", "invalid_job_centre"),
        ("/2", "not_an_object"),
    ]


def test_bad_files() -> None:
    with pytest.raises(InvalidCitizen) as caught:
        citizens_from_json("{not json")
    assert caught.value.problems[0].code == "invalid_json"
    with pytest.raises(InvalidCitizen) as caught:
        citizens_from_csv("cpr,alder\n0101901234,36\n")
    assert [(p.path, p.code) for p in caught.value.problems] == [("/alder", "unknown_field")]
    with pytest.raises(InvalidCitizen) as caught:
        citizens_from_csv("")
    assert caught.value.problems[0].code == "missing_field"
    with pytest.raises(InvalidCitizen) as caught:
        citizens_from_csv("cpr,name\n0101901234,Anne,ekstra\n")
    assert [(p.path, p.code) for p in caught.value.problems] == [("/0", "too_many_cells")]
    with pytest.raises(InvalidCitizen) as caught:
        citizens_from_csv("cpr,registration_date\n0101901234,2026-01-05\n3201901234,2026-13-01\n")
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("/1/cpr", "invalid_cpr"),
        ("/1/registration_date", "invalid_date"),
    ]


def test_the_cpr_number_and_name_never_show_in_repr() -> None:
    text = repr(parse_citizen(ANNE, REFERENCE))
    assert "150690" not in text and "Anne" not in text and "anne" not in text
