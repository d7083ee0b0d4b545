"""Calendar passwords are encrypted together with their advisor and calendar URL: the worker
decrypts one only for exactly that advisor and URL, so a ciphertext replayed elsewhere is
refused, and the offers service binds ciphertexts from before the binding to their row."""

from __future__ import annotations

import pytest

from shared.secrets import (
    NOT_THIS_CALENDAR,
    UNBOUND,
    CalendarPasswordRefused,
    SecretsNotConfigured,
    calendar_password_is_current,
    decrypt_calendar_password,
    encrypt,
    encrypt_calendar_password,
    new_key,
    rebind_calendar_password,
)

ANNE = "0b6f3c1e-7d1a-4c8e-9a53-2f6e1d0c4b11"
BO = "5d2a9e70-1c4b-4f3e-8b61-9e0a7c3d2f22"
URL = "https://cal.kommune.dk/anne/arbejde/"
ELSEWHERE = "https://angriber.example.net/dav/"


def test_a_bound_password_decrypts_for_its_advisor_and_url_only() -> None:
    keys = new_key()
    token = encrypt_calendar_password("anne-secret", keys, advisor_id=ANNE, url=URL)
    assert "anne-secret" not in token and URL not in token

    assert decrypt_calendar_password(token, keys, advisor_id=ANNE, url=URL) == "anne-secret"
    for advisor_id, url in ((ANNE, ELSEWHERE), (BO, URL), (ANNE, URL + "other/"), (ANNE, None)):
        with pytest.raises(CalendarPasswordRefused) as refused:
            decrypt_calendar_password(token, keys, advisor_id=advisor_id, url=url)
        assert refused.value.detail == NOT_THIS_CALENDAR
        assert "anne-secret" not in refused.value.detail


def test_the_refusal_tells_staff_what_to_do_in_danish() -> None:
    assert NOT_THIS_CALENDAR == (
        "Kalenderadgangskoden hører ikke til denne kalenderadresse; gem adgangskoden igen i administrationen."
    )


def test_a_password_stored_before_the_binding_is_refused_by_the_worker() -> None:
    keys = new_key()
    legacy = encrypt("anne-secret", keys)  # the bare password, as earlier versions stored it
    with pytest.raises(CalendarPasswordRefused) as refused:
        decrypt_calendar_password(legacy, keys, advisor_id=ANNE, url=URL)
    assert refused.value.detail == UNBOUND and "planner offers rotate-secrets" in UNBOUND


def test_a_password_that_looks_bound_but_is_not_json_of_the_right_kind_stays_legacy() -> None:
    keys = new_key()
    lookalike = encrypt('{"advisor_id": "%s", "url": "%s", "password": "x"}' % (ANNE, URL), keys)  # noqa: UP031
    with pytest.raises(CalendarPasswordRefused, match="ældre format"):
        decrypt_calendar_password(lookalike, keys, advisor_id=ANNE, url=URL)


def test_rebinding_moves_a_password_to_a_new_url_and_binds_legacy_ones() -> None:
    keys = new_key()
    token = encrypt_calendar_password("anne-secret", keys, advisor_id=ANNE, url=URL)
    moved = rebind_calendar_password(token, keys, advisor_id=ANNE, old_url=URL, new_url=URL + "ny/")
    assert decrypt_calendar_password(moved, keys, advisor_id=ANNE, url=URL + "ny/") == "anne-secret"
    with pytest.raises(CalendarPasswordRefused):
        decrypt_calendar_password(moved, keys, advisor_id=ANNE, url=URL)

    bound = rebind_calendar_password(encrypt("bo-secret", keys), keys, advisor_id=BO, old_url=URL, new_url=URL)
    assert decrypt_calendar_password(bound, keys, advisor_id=BO, url=URL) == "bo-secret"


def test_rebinding_refuses_a_password_of_another_row() -> None:
    keys = new_key()
    annes = encrypt_calendar_password("anne-secret", keys, advisor_id=ANNE, url=URL)
    with pytest.raises(CalendarPasswordRefused):
        rebind_calendar_password(annes, keys, advisor_id=BO, old_url=URL, new_url=ELSEWHERE)
    with pytest.raises(CalendarPasswordRefused):
        rebind_calendar_password(annes, keys, advisor_id=ANNE, old_url=ELSEWHERE, new_url=ELSEWHERE)


def test_with_two_keys_old_tokens_read_and_rebinding_puts_them_on_the_first_key() -> None:
    old, new = new_key(), new_key()
    token = encrypt_calendar_password("anne-secret", old, advisor_id=ANNE, url=URL)
    both = f"{new},{old}"
    assert decrypt_calendar_password(token, both, advisor_id=ANNE, url=URL) == "anne-secret"
    assert not calendar_password_is_current(token, both, advisor_id=ANNE, url=URL)

    rotated = rebind_calendar_password(token, both, advisor_id=ANNE, old_url=URL, new_url=URL)

    assert calendar_password_is_current(rotated, both, advisor_id=ANNE, url=URL)
    assert decrypt_calendar_password(rotated, new, advisor_id=ANNE, url=URL) == "anne-secret"
    with pytest.raises(SecretsNotConfigured):
        decrypt_calendar_password(rotated, old, advisor_id=ANNE, url=URL)


def test_a_legacy_token_under_the_first_key_is_not_current() -> None:
    keys = new_key()
    assert not calendar_password_is_current(encrypt("anne-secret", keys), keys, advisor_id=ANNE, url=URL)
