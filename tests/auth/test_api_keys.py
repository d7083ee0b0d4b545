"""API keys: only a hash is kept; the key verifies, anything else does not."""

from __future__ import annotations

import json

import pytest

from shared.auth import api_keys
from shared.auth.api_keys import create_api_key, parse_api_keys, stored_form, verify_api_key
from shared.auth.grants import parse_grant
from shared.auth.principal import Grant, Machine, Role


@pytest.fixture
def made() -> api_keys.NewApiKey:
    return create_api_key("demo set-up", parse_grant("planner:10101"))


def test_a_new_key_verifies_as_its_machine(made: api_keys.NewApiKey) -> None:
    machine = verify_api_key(made.key, {made.stored.key_id: made.stored})
    assert machine == Machine(f"apikey:{made.stored.key_id}", "demo set-up", frozenset({Grant(Role.PLANNER, "10101")}))


def test_only_the_hash_is_kept_and_shown(made: api_keys.NewApiKey) -> None:
    secret = made.key.split("_", 2)[2]
    assert len(secret) == 43  # 32 random bytes
    kept = json.dumps(stored_form(made.stored))
    assert secret not in kept and made.key not in kept
    assert made.key not in repr(made) and made.stored.sha256 not in repr(made.stored)


def test_a_wrong_or_malformed_key_does_not_verify(made: api_keys.NewApiKey) -> None:
    known = {made.stored.key_id: made.stored}
    last = made.key[-1]
    tampered = made.key[:-1] + ("A" if last != "A" else "B")
    other = create_api_key("other", parse_grant("reader:10101"))
    for key in (tampered, other.key, made.key + "x", made.key[:-1], "", "plk_", made.stored.sha256):
        assert verify_api_key(key, known) is None
    assert verify_api_key(made.key, {}) is None


def test_the_hash_is_compared_in_constant_time(made: api_keys.NewApiKey, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []

    def recording(a: str, b: str) -> bool:
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(api_keys.hmac, "compare_digest", recording)
    assert verify_api_key(made.key, {made.stored.key_id: made.stored}) is not None
    assert compared == [(made.stored.sha256, made.stored.sha256)]


def test_the_setting_round_trips_and_wrong_ones_are_refused(made: api_keys.NewApiKey) -> None:
    text = json.dumps([stored_form(made.stored)])
    assert parse_api_keys(text) == {made.stored.key_id: made.stored}
    assert parse_api_keys("") == {}
    bad = [
        "{}",
        "[1]",
        json.dumps([stored_form(made.stored) | {"id": "short"}]),
        json.dumps([stored_form(made.stored) | {"sha256": "zz"}]),
        json.dumps([stored_form(made.stored) | {"grants": ["boss:10101"]}]),
    ]
    for text in bad:
        with pytest.raises(ValueError):
            parse_api_keys(text)
