"""A service refuses to start on identity settings that would let anyone in."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from services.cli import main
from shared.auth.startup import UnsafeIdentitySettings, check_identity_settings, identity_problems
from shared.config import get_settings
from tests.conftest import make_settings

HTTPS = "https://login.example.dk/tenant/v2.0"


def test_the_demo_provider_and_a_missing_secret_are_refused_outside_the_demo() -> None:
    demo_provider = make_settings(
        staff_oidc_issuer="http://127.0.0.1:8003", staff_oidc_client_id="staff", staff_oidc_client_secret="s"
    )
    assert identity_problems(demo_provider) == [
        "PLANNER_STAFF_OIDC_ISSUER must be an https URL (the demo's provider is for the demo only)"
    ]
    no_secret = make_settings(citizen_oidc_issuer=HTTPS, citizen_oidc_client_id="citizens")
    with pytest.raises(UnsafeIdentitySettings, match="PLANNER_CITIZEN_OIDC_CLIENT_SECRET must be set"):
        check_identity_settings(no_secret)


def test_the_demo_may_use_its_provider_and_production_settings_pass() -> None:
    demo = make_settings(demo=True, staff_oidc_issuer="http://127.0.0.1:8003", staff_oidc_client_id="staff")
    assert identity_problems(demo) == []
    production = make_settings(
        staff_oidc_issuer=HTTPS, staff_oidc_client_id="staff", staff_oidc_client_secret="s", token_audience="api://x"
    )
    assert identity_problems(production) == []
    assert identity_problems(make_settings()) == []  # no login configured: API keys only


def test_a_client_id_as_token_audience_is_refused_even_in_the_demo() -> None:
    settings = make_settings(
        demo=True, citizen_oidc_issuer="http://127.0.0.1:8003", citizen_oidc_client_id="app", token_audience="app"
    )
    assert identity_problems(settings) == ["PLANNER_TOKEN_AUDIENCE must differ from PLANNER_CITIZEN_OIDC_CLIENT_ID"]


def test_serve_stops_before_serving_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_STAFF_OIDC_ISSUER", "http://127.0.0.1:8003")
    monkeypatch.setenv("PLANNER_STAFF_OIDC_CLIENT_ID", "staff")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["offers", "serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "refusing to start" in result.output and "must be an https URL" in result.output


def test_a_service_without_cpr_keys_is_refused_outside_the_demo() -> None:
    missing = make_settings(cpr_keys="")
    assert identity_problems(missing) == [
        "PLANNER_CPR_KEYS must be set (planner keygen): CPR numbers are kept only encrypted"
    ]
    assert identity_problems(make_settings(cpr_keys="", demo=True)) == []
