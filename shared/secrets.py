"""Secrets at rest: calendar passwords are stored and sent only encrypted (Fernet).

``PLANNER_SECRET_KEYS`` is a comma-separated list of keys: the first encrypts, every key
decrypts. To rotate, put a new key first, re-encrypt what is stored (``rotate``; the
offers service's ``planner offers rotate-secrets``), then drop the old key.

A calendar password is encrypted together with the advisor it belongs to and the calendar
URL it is for (``encrypt_calendar_password``): the plaintext is a small JSON object
``{"kind", "advisor_id", "url", "password"}``. The worker decrypts it only for exactly that
advisor and URL (``decrypt_calendar_password``), so a ciphertext replayed in a forged
``advisor.changed`` with another URL or for another advisor is refused and the password is
never sent anywhere else. Ciphertexts from before the binding (the bare password, "legacy")
are refused by the worker as well; only the offers service, whose own database holds the
authoritative URL of each password, binds them to their row (``rebind_calendar_password``,
run for every advisor by ``planner offers rotate-secrets``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

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


CALENDAR_CREDENTIALS = "planner.calendar-password.v1"
"""The ``kind`` of a bound calendar password's plaintext."""

NOT_THIS_CALENDAR = (
    "Kalenderadgangskoden hører ikke til denne kalenderadresse; gem adgangskoden igen i administrationen."
)
UNBOUND = (
    "Kalenderadgangskoden er gemt i et ældre format, der ikke er knyttet til kalenderadressen; "
    "IT kører planner offers rotate-secrets, eller gem adgangskoden igen i administrationen."
)


class CalendarPasswordRefused(PlannerError):
    """A calendar password that may not be used for this advisor and URL (never decrypted for it)."""

    status = 409
    title = "Kalenderadgangskoden afvist"
    code = "calendar_password_refused"


@dataclass(frozen=True)
class CalendarPassword:
    """What a calendar password's ciphertext holds. ``advisor_id`` and ``url`` are None for
    a legacy ciphertext (the bare password, made before the binding)."""

    password: str
    advisor_id: str | None
    url: str | None

    @property
    def bound(self) -> bool:
        return self.advisor_id is not None

    def belongs_to(self, advisor_id: str, url: str | None) -> bool:
        return self.bound and (self.advisor_id, self.url) == (str(advisor_id), url)


def encrypt_calendar_password(password: str, keys: str, *, advisor_id: str, url: str | None) -> str:
    """``password`` encrypted with the first of ``keys``, bound to ``advisor_id`` and ``url``."""
    plaintext = {"kind": CALENDAR_CREDENTIALS, "advisor_id": str(advisor_id), "url": url, "password": password}
    return encrypt(json.dumps(plaintext, separators=(",", ":"), sort_keys=True), keys)


def open_calendar_password(token: str, keys: str) -> CalendarPassword:
    """The content of a calendar password's ciphertext, bound or legacy, without any check.

    For the offers service, which owns the rows; the worker uses ``decrypt_calendar_password``.
    Raises ``SecretsNotConfigured`` when none of ``keys`` decrypts ``token``."""
    plaintext = decrypt(token, keys)
    try:
        data = json.loads(plaintext)
    except ValueError:
        data = None
    if not (isinstance(data, dict) and data.get("kind") == CALENDAR_CREDENTIALS):
        return CalendarPassword(password=plaintext, advisor_id=None, url=None)
    password, advisor_id, url = data.get("password"), data.get("advisor_id"), data.get("url")
    if not (isinstance(password, str) and isinstance(advisor_id, str) and (url is None or isinstance(url, str))):
        raise SecretsNotConfigured(UNREADABLE)
    return CalendarPassword(password=password, advisor_id=advisor_id, url=url)


def decrypt_calendar_password(token: str, keys: str, *, advisor_id: str, url: str | None) -> str:
    """The password in ``token`` if it was encrypted for exactly ``advisor_id`` and ``url``.

    Raises ``CalendarPasswordRefused`` (Danish, for staff) for a ciphertext bound to another
    advisor or URL, and for a legacy one (no binding: where it came from cannot be known), and
    ``SecretsNotConfigured`` when none of ``keys`` decrypts it."""
    opened = open_calendar_password(token, keys)
    if not opened.bound:
        raise CalendarPasswordRefused(UNBOUND, code="calendar_password_unbound")
    if not opened.belongs_to(advisor_id, url):
        raise CalendarPasswordRefused(NOT_THIS_CALENDAR)
    return opened.password


def rebind_calendar_password(
    token: str, keys: str, *, advisor_id: str, old_url: str | None, new_url: str | None
) -> str:
    """``token``'s password encrypted again with the first of ``keys``, bound to ``advisor_id``
    and ``new_url``: for the offers service when staff change a calendar's URL without typing
    the password again, when keys rotate, and to bind a legacy ciphertext to its row.

    ``token`` must be legacy or bound to ``advisor_id`` and ``old_url`` (the row it is stored
    in); anything else raises ``CalendarPasswordRefused``."""
    opened = open_calendar_password(token, keys)
    if opened.bound and not opened.belongs_to(advisor_id, old_url):
        raise CalendarPasswordRefused(NOT_THIS_CALENDAR)
    return encrypt_calendar_password(opened.password, keys, advisor_id=advisor_id, url=new_url)


def calendar_password_is_current(token: str, keys: str, *, advisor_id: str, url: str | None) -> bool:
    """Whether ``token`` is under the first of ``keys`` and bound to ``advisor_id`` and ``url``
    (nothing left for a rotation to do)."""
    if not is_current(token, keys):
        return False
    return open_calendar_password(token, keys).belongs_to(advisor_id, url)
