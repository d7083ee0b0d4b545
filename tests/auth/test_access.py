"""may(): one table of actions per role, always at one job centre; citizens self-serve only."""

from __future__ import annotations

import pytest

from shared.auth.access import ROLE_ACTIONS, Action, job_centres_where, may
from shared.auth.principal import Citizen, Grant, Machine, Role, StaffMember
from shared.cpr import parse_cpr

X, Y = "10101", "20202"
CITIZEN = Citizen(cpr=parse_cpr("0707614285"), subject="s")


def staff(*grants: str) -> StaffMember:
    parsed = {Grant(Role(text.split(":")[0]), text.split(":")[1]) for text in grants}
    return StaffMember("u", "Navn", frozenset(parsed))


# The expected answer of every (role, action) pair at the role's own job centre.
EXPECTED = {
    Role.ADMINISTRATOR: {
        Action.READ_ADMIN_DATA,
        Action.WRITE_ADMIN_DATA,
        Action.READ_OFFERS,
        Action.READ_PARTICIPANTS,
        Action.READ_CALENDARS,
        Action.READ_CPR_ACCESS_LOG,
    },
    Role.PLANNER: {
        Action.READ_ADMIN_DATA,
        Action.READ_OFFERS,
        Action.WRITE_OFFERS,
        Action.READ_PARTICIPANTS,
        Action.WRITE_PARTICIPANTS,
        Action.READ_CALENDARS,
        Action.WRITE_CALENDARS,
    },
    Role.READER: {Action.READ_ADMIN_DATA, Action.READ_OFFERS, Action.READ_PARTICIPANTS, Action.READ_CALENDARS},
    Role.MONITOR: {Action.READ_METRICS},  # nothing of any centre's
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_each_role_may_do_exactly_its_actions_at_its_centre_and_nothing_at_another(role: Role, action: Action) -> None:
    member = staff(f"{role}:{X}")
    assert may(member, action, X) is (action in EXPECTED[role])
    assert may(member, action, Y) is False
    assert may(member, action, None) is False


def test_the_table_matches_the_expectation_written_out_above() -> None:
    assert {role: set(actions) for role, actions in ROLE_ACTIONS.items()} == EXPECTED


def test_a_grant_for_every_centre_covers_each_but_is_not_a_centre_itself() -> None:
    member = staff("reader:*")
    assert may(member, Action.READ_OFFERS, X) and may(member, Action.READ_OFFERS, Y)
    assert not may(member, Action.WRITE_OFFERS, X)
    assert not may(member, Action.READ_OFFERS, "*")


def test_citizens_do_self_service_only_and_anonymous_nothing() -> None:
    for action in Action:
        assert may(CITIZEN, action, X) is (action is Action.CITIZEN_SELF_SERVICE)
        assert may(None, action, X) is False
        assert may(staff(f"administrator:{X}", f"planner:{X}"), Action.CITIZEN_SELF_SERVICE, X) is False


def test_machines_follow_the_same_table() -> None:
    machine = Machine("apikey:1", "demo", frozenset({Grant(Role.PLANNER, X)}))
    assert may(machine, Action.WRITE_OFFERS, X) and not may(machine, Action.WRITE_OFFERS, Y)
    assert not may(machine, Action.WRITE_ADMIN_DATA, X)


def test_job_centres_where_filters_lists() -> None:
    member = staff(f"planner:{X}", f"reader:{Y}")
    assert job_centres_where(member, Action.READ_OFFERS) == {X, Y}
    assert job_centres_where(member, Action.WRITE_OFFERS) == {X}
    assert job_centres_where(member, Action.WRITE_ADMIN_DATA) == frozenset()
    assert job_centres_where(CITIZEN, Action.READ_OFFERS) == frozenset()
    assert job_centres_where(None, Action.READ_OFFERS) == frozenset()
