"""The two provider registrations from the settings; wrong mapping settings fail at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.auth.clients import citizen_client, staff_client
from shared.auth.principal import Grant, PrincipalKind, Role
from tests.conftest import make_settings


def test_no_issuer_no_login() -> None:
    settings = make_settings()
    assert citizen_client(settings) is None and staff_client(settings) is None


def test_clients_from_settings() -> None:
    settings = make_settings(
        citizen_oidc_issuer="https://broker.example/",
        citizen_oidc_client_id="planner",
        citizen_oidc_client_secret="s3cret",
        citizen_oidc_scopes="ssn",
        staff_oidc_issuer="https://login.microsoftonline.com/tenant/v2.0",
        staff_oidc_client_id="planner-staff",
        staff_group_roles="g=planner:10101",
    )
    citizens, staff = citizen_client(settings), staff_client(settings)
    assert citizens is not None and staff is not None
    assert citizens.kind is PrincipalKind.CITIZEN and citizens.issuer == "https://broker.example/"
    assert citizens.scope == "openid ssn" and citizens.cpr_claim == "https://data.gov.dk/model/core/eid/cprNumber"
    assert "s3cret" not in repr(citizens) and "s3cret" not in repr(settings)
    assert staff.group_claim == "groups" and staff.group_grants == {"g": {Grant(Role.PLANNER, "10101")}}


@pytest.mark.parametrize("setting", [{"staff_group_roles": "g=boss:10101"}, {"api_keys": "[1]"}])
def test_a_wrong_mapping_or_key_list_stops_the_settings(setting: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        make_settings(**setting)
