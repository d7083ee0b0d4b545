"""Grants and the group mapping in settings; groups in a claim mapped to grants."""

from __future__ import annotations

import pytest

from shared.auth.grants import grants_for_groups, groups_in_claim, parse_grant, parse_group_grants
from shared.auth.principal import Grant, Role

P, R, A = Role.PLANNER, Role.READER, Role.ADMINISTRATOR


def test_a_grant_names_a_role_at_one_or_more_centres() -> None:
    assert parse_grant("planner:10101, 10102") == {Grant(P, "10101"), Grant(P, "10102")}
    assert parse_grant(" reader:* ") == {Grant(R, "*")}


@pytest.mark.parametrize("text", ["planner", "boss:10101", "planner:", "planner:1010", "planner:10101,abcde"])
def test_a_wrong_grant_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_grant(text)


def test_the_text_mapping_allows_a_group_several_times() -> None:
    mapping = parse_group_grants("g1=planner:10101,10102; g2=reader:*;g1=administrator:10101;")
    assert mapping == {
        "g1": {Grant(P, "10101"), Grant(P, "10102"), Grant(A, "10101")},
        "g2": {Grant(R, "*")},
    }


def test_the_json_mapping_says_the_same() -> None:
    text = '{"g1": ["planner:10101,10102", "administrator:10101"], "g2": "reader:*"}'
    assert parse_group_grants(text) == parse_group_grants("g1=planner:10101,10102;g1=administrator:10101;g2=reader:*")


@pytest.mark.parametrize("text", ["g1", "=planner:10101", "g1=planner", '{"g1": 3}', "{not json", '["g1"]'])
def test_a_wrong_mapping_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_group_grants(text)


def test_groups_come_from_a_list_or_a_space_separated_claim() -> None:
    assert groups_in_claim(["a", "b", 3]) == ["a", "b"]
    assert groups_in_claim("a b") == ["a", "b"]
    assert groups_in_claim(None) == [] and groups_in_claim({"a": 1}) == []


def test_only_mapped_groups_carry_grants() -> None:
    mapping = parse_group_grants("g1=planner:10101;g2=reader:20202")
    assert grants_for_groups(["g1", "unknown"], mapping) == {Grant(P, "10101")}
    assert grants_for_groups(["g1", "g2"], mapping) == {Grant(P, "10101"), Grant(R, "20202")}
    assert grants_for_groups([], mapping) == frozenset()
    assert grants_for_groups(["G1"], mapping) == frozenset()  # group ids are case-sensitive
