"""Secrets at rest: calendar passwords are stored and sent only encrypted (Fernet)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.errors import PlannerError


class SecretsNotConfigured(PlannerError):
    title = "Manglende nøgle"
    code = "secret_keys_missing"


def _fernet(keys: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise SecretsNotConfigured(
            "PLANNER_SECRET_KEYS er ikke sat: kalenderadgangskoder kan ikke krypteres. "
            "Lav en nøgle med `planner keygen`."
        )
    return MultiFernet([Fernet(p.encode()) for p in parts])


def encrypt(plaintext: str, keys: str) -> str:
    return _fernet(keys).encrypt(plaintext.encode()).decode()


def decrypt(token: str, keys: str) -> str:
    try:
        return _fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretsNotConfigured("Kalenderadgangskoden kan ikke dekrypteres med de angivne nøgler.") from exc


def new_key() -> str:
    return Fernet.generate_key().decode()
