"""``planner apikey create`` prints a working key once and the setting that admits it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from services.cli import main
from shared.auth.api_keys import parse_api_keys, verify_api_key
from shared.auth.principal import Grant, Role
from shared.config import get_settings
from tests.identities import IT_KEY, api_keys_setting


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_API_KEYS", api_keys_setting(IT_KEY))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_new_key_is_admitted_by_the_printed_setting_and_the_old_keys_stay(settings_env: None) -> None:
    result = CliRunner().invoke(
        main, ["apikey", "create", "--name", "Fagsystem", "--grant", "reader:10101,10102", "--grant", "planner:10101"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    key = lines[1].strip()
    setting = next(line for line in lines if line.startswith("PLANNER_API_KEYS=")).partition("=")[2]
    known = parse_api_keys(setting)
    machine = verify_api_key(key, known)
    assert machine is not None and machine.name == "Fagsystem"
    assert machine.grants == {
        Grant(Role.READER, "10101"),
        Grant(Role.READER, "10102"),
        Grant(Role.PLANNER, "10101"),
    }
    assert verify_api_key(IT_KEY.key, known) is not None
    assert key not in setting  # only the hash is stored
    assert all(set(entry) == {"id", "name", "sha256", "grants"} for entry in json.loads(setting))


def test_a_wrong_grant_is_refused_and_makes_no_key(settings_env: None) -> None:
    result = CliRunner().invoke(main, ["apikey", "create", "--name", "X", "--grant", "boss:10101"])
    assert result.exit_code == 2
    assert "unknown role 'boss'" in result.output
    assert "plk_" not in result.output
