"""The CPR vault: a keyed index to find a CPR number, a sealed copy to read it back, and
keys that rotate without losing a row (``shared.cpr_vault``)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet, InvalidToken

from shared.config import Settings
from shared.cpr import parse_cpr
from shared.cpr_vault import DEMO_KEY, CprKeysMissing, CprUnreadable, CprVault, vault_for, vault_for_settings

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
ANNA = parse_cpr("150289-3427")  # fictitious


def test_the_index_is_keyed_stable_and_not_a_plain_hash() -> None:
    vault = CprVault.from_keys(OLD)
    index = vault.index(ANNA)
    assert index == vault.index("1502893427") == CprVault.from_keys(OLD).index(ANNA)
    assert len(index) == 64 and int(index, 16) >= 0
    assert ANNA.digits not in index
    assert index != hashlib.sha256(ANNA.digits.encode()).hexdigest()  # anyone could hash all 3.7e8 numbers
    raw_key = base64.urlsafe_b64decode(OLD)
    assert index != hmac.new(raw_key, ANNA.digits.encode(), hashlib.sha256).hexdigest()  # derived, not the raw key
    assert index != CprVault.from_keys(NEW).index(ANNA)
    assert index != vault.index(parse_cpr("1502893428"))


def test_look_ups_ask_for_the_index_under_every_key_current_first() -> None:
    rotating = CprVault.from_keys(f"{NEW},{OLD}")
    assert rotating.indexes(ANNA) == [CprVault.from_keys(NEW).index(ANNA), CprVault.from_keys(OLD).index(ANNA)]
    assert rotating.index(ANNA) == CprVault.from_keys(NEW).index(ANNA)
    old_index = CprVault.from_keys(OLD).index(ANNA)
    assert rotating.matches(old_index, ANNA) and not CprVault.from_keys(NEW).matches(old_index, ANNA)


def test_a_sealed_number_opens_with_any_configured_key_and_never_shows_the_digits() -> None:
    old = CprVault.from_keys(OLD)
    token = old.seal(ANNA)
    assert ANNA.digits not in token and token != old.seal(ANNA)  # a new IV every time
    assert old.unseal(token) == ANNA

    rotating = CprVault.from_keys(f"{NEW},{OLD}")
    assert rotating.unseal(token) == ANNA and not rotating.is_current(token)
    rotated = rotating.rotate(token)
    assert rotating.is_current(rotated) and CprVault.from_keys(NEW).unseal(rotated) == ANNA
    with pytest.raises(CprUnreadable) as caught:
        CprVault.from_keys(NEW).unseal(token)
    assert ANNA.digits not in str(caught.value)
    with pytest.raises(CprUnreadable):
        rotating.unseal("not a token")


def test_the_index_and_the_seal_use_different_keys_derived_from_each_key() -> None:
    token = CprVault.from_keys(OLD).seal(ANNA)
    with pytest.raises(InvalidToken):  # the raw key is not the sealing key
        Fernet(OLD.encode()).decrypt(token.encode())


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ("", "PLANNER_CPR_KEYS er ikke sat"),
        (" , ", "PLANNER_CPR_KEYS er ikke sat"),
        ("CHANGE-ME-run-planner-keygen", "Nøgle nr. 1"),
        (f"{NEW},{base64.urlsafe_b64encode(b'short').decode()}", "Nøgle nr. 2"),
        (f"{NEW},{NEW}", "Nøgle nr. 2"),
    ],
    ids=["empty", "only-commas", "placeholder", "second-too-short", "second-repeated"],
)
def test_keys_that_are_missing_or_not_keys_are_refused_without_repeating_them(keys: str, says: str) -> None:
    with pytest.raises(CprKeysMissing) as caught:
        CprVault.from_keys(keys)
    assert says in caught.value.detail
    assert "CHANGE-ME" not in caught.value.detail and NEW not in caught.value.detail


def test_keys_come_from_the_settings_and_only_the_demo_may_go_without() -> None:
    settings = Settings.model_validate({"cpr_keys": f"{NEW},{OLD}"})
    assert vault_for_settings(settings).index(ANNA) == CprVault.from_keys(NEW).index(ANNA)
    assert NEW not in repr(settings) and NEW not in repr(vault_for_settings(settings))
    with pytest.raises(CprKeysMissing):
        vault_for_settings(Settings.model_validate({}))
    demo = vault_for_settings(Settings.model_validate({"demo": True}))
    assert demo.index(ANNA) == CprVault.from_keys(DEMO_KEY.decode()).index(ANNA)
    assert vault_for(NEW) is vault_for(NEW)  # made once per value
