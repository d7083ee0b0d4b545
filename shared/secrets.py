"""Secrets at rest: calendar passwords are stored and sent only encrypted (Fernet).

``PLANNER_SECRET_KEYS`` is a comma-separated list of keys: the first encrypts, every key
decrypts. To rotate, put a new key first, re-encrypt what is stored (``rotate``; the
offers service's ``planner offers rotate-secrets``), then drop the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.errors import PlannerError


class SecretsNotConfigured(PlannerError):
    title = "Manglende nøgle"
    code = "secret_keys_missing"


UNREADABLE = "Kalenderadgangskoden kan ikke dekrypteres med de angivne nøgler."


def _keys(keys: str) -> list[Fernet]:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise SecretsNotConfigured(
            "PLANNER_SECRET_KEYS er ikke sat: kalenderadgangskoder kan ikke krypteres. "
            "Lav en nøgle med `planner keygen`."
        )
    return [Fernet(p.encode()) for p in parts]


def _fernet(keys: str) -> MultiFernet:
    return MultiFernet(_keys(keys))


def encrypt(plaintext: str, keys: str) -> str:
    """``plaintext`` encrypted with the first of ``keys``."""
    return _fernet(keys).encrypt(plaintext.encode()).decode()


def decrypt(token: str, keys: str) -> str:
    """The plaintext of ``token``, made with any of ``keys``."""
    try:
        return _fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretsNotConfigured(UNREADABLE) from exc


def require_keys(keys: str) -> None:
    """Raise ``SecretsNotConfigured`` unless ``keys`` holds at least one key."""
    _keys(keys)


def is_current(token: str, keys: str) -> bool:
    """Whether ``token`` is encrypted with the first of ``keys`` (dropping the others keeps it readable)."""
    try:
        _keys(keys)[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str, keys: str) -> str:
    """``token`` encrypted again with the first of ``keys``; it may have been made with any of them."""
    try:
        return _fernet(keys).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretsNotConfigured(UNREADABLE) from exc


def new_key() -> str:
    return Fernet.generate_key().decode()
