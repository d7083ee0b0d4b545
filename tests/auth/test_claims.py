"""A principal from claims: the CPR claim is parsed, and never repeated in an error."""

from __future__ import annotations

import pytest

from shared.auth.claims import principal_from_claims
from shared.auth.clients import OidcClient
from shared.auth.grants import parse_group_grants
from shared.auth.principal import Citizen, Grant, PrincipalKind, Role, StaffMember
from shared.errors import Unauthenticated

CITIZENS = OidcClient(PrincipalKind.CITIZEN, "https://broker.example", "c", "s", cpr_claim="cpr")
STAFF = OidcClient(
    PrincipalKind.STAFF,
    "https://idp.example",
    "c",
    "s",
    group_claim="groups",
    group_grants=parse_group_grants("g=reader:10101"),
)


def test_a_citizen_from_the_cpr_claim() -> None:
    principal = principal_from_claims(CITIZENS, {"sub": "s1", "cpr": "0707614285"})
    assert isinstance(principal, Citizen) and principal.cpr.digits == "0707614285"


@pytest.mark.parametrize("value", ["3213614285", "07076142", "0707614285x"])
def test_a_cpr_claim_that_is_not_a_cpr_number_is_refused_without_repeating_it(value: object) -> None:
    with pytest.raises(Unauthenticated) as refused:
        principal_from_claims(CITIZENS, {"sub": "s1", "cpr": value})
    shown = f"{refused.value} {refused.value.detail} {refused.value.reason} {refused.value!r}"
    assert value not in shown and refused.value.reason == "CPR claim is not a CPR number"
    assert refused.value.__cause__ is None and refused.value.__suppress_context__  # no InvalidCpr in tracebacks


@pytest.mark.parametrize("value", [707614285, None, ["0707614285"]])
def test_a_cpr_claim_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(Unauthenticated) as refused:
        principal_from_claims(CITIZENS, {"sub": "s1", "cpr": value})
    assert refused.value.reason == "no CPR claim"


def test_a_staff_member_from_the_groups() -> None:
    principal = principal_from_claims(STAFF, {"sub": "u1", "name": "Pia", "groups": ["g", "x"]})
    assert principal == StaffMember("u1", "Pia", frozenset({Grant(Role.READER, "10101")}))
    assert principal_from_claims(STAFF, {"sub": "u2", "preferred_username": "bo@kommune.dk"}).name == "bo@kommune.dk"


def test_claims_without_a_subject_are_refused() -> None:
    for client in (CITIZENS, STAFF):
        with pytest.raises(Unauthenticated):
            principal_from_claims(client, {"cpr": "0707614285", "groups": ["g"]})
