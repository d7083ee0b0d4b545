"""Principals: a citizen's CPR number never shows, not even the birth date it starts with."""

from __future__ import annotations

from shared.auth.principal import Citizen, Grant, Machine, PrincipalKind, Role, StaffMember
from shared.cpr import parse_cpr

CPR = "0707614285"


def test_a_citizen_never_shows_the_cpr_number_or_birth_date() -> None:
    citizen = Citizen(cpr=parse_cpr(CPR), subject="sub-1")
    shown = [repr(citizen), str(citizen), f"{citizen}", f"{citizen!r}", repr([citizen]), repr({"who": citizen})]
    for text in shown:
        assert CPR not in text and "070761" not in text and "1961" not in text
    assert "sub-1" in repr(citizen)


def test_citizens_compare_by_cpr_number_and_subject() -> None:
    assert Citizen(cpr=parse_cpr(CPR), subject="s") == Citizen(cpr=parse_cpr("070761-4285"), subject="s")
    assert Citizen(cpr=parse_cpr(CPR), subject="s") != Citizen(cpr=parse_cpr("0707614286"), subject="s")


def test_kinds_and_roles_at_a_job_centre() -> None:
    staff = StaffMember("u1", "Pia", frozenset({Grant(Role.PLANNER, "10101"), Grant(Role.READER, "*")}))
    machine = Machine("apikey:abc", "demo", frozenset({Grant(Role.ADMINISTRATOR, "20202")}))
    assert (staff.kind, machine.kind, Citizen.kind) == (
        PrincipalKind.STAFF,
        PrincipalKind.MACHINE,
        PrincipalKind.CITIZEN,
    )
    assert staff.roles_at("10101") == {Role.PLANNER, Role.READER}
    assert staff.roles_at("30303") == {Role.READER}
    assert machine.roles_at("10101") == frozenset()
    assert str(Grant(Role.PLANNER, "10101")) == "planner:10101"
