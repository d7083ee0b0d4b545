"""CPR numbers at rest: a keyed index to find them, a sealed copy to read them back. Pure.

A plain hash of a CPR number protects nothing (there are only about 3.7·10⁸ valid
numbers; all of them are hashed in minutes), so the database never holds the number in
a form that can be reversed without a key that lives outside it:

- the **index** is HMAC-SHA256 of the ten digits (hex, 64 characters). It is what rows are
  found by and what unique indexes cover; equal numbers give equal indexes under one key.
- the **sealed** copy is a Fernet token of the ten digits, where the number must be shown
  or used again (a booking, the access log, a citizen profile, a browser session).

``PLANNER_CPR_KEYS`` is a comma-separated list of keys made by ``planner keygen`` (32
random bytes in URL-safe base64); the first is current. From each key HKDF-SHA256 derives
an HMAC key and a Fernet key under distinct labels, so neither can stand in for the other.
New rows are indexed and sealed with the current key; look-ups ask for every index the
configured keys give (``indexes``: ``... IN (...)``), so rows written under an older key
are still found while ``planner rotate-cpr-keys`` re-seals and re-indexes them. Rotating:
put a new key first (``NEW,OLD``) on every process, run the command, then drop ``OLD``.

Nothing here logs, and no message repeats a key or a number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.cpr import Cpr, InvalidCpr, parse_cpr
from shared.errors import PlannerError

INDEX_LABEL = b"jobcenter-planner cpr index v1"
SEAL_LABEL = b"jobcenter-planner cpr seal v1"
INDEX_LENGTH = 64
"""Characters of an index (hex SHA-256)."""
KEY_BYTES = 32

DEMO_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"jobcenter-planner demo only, never in production").digest())
"""The key of a demo process started without ``PLANNER_CPR_KEYS``: public, so only for the
demo's fictitious citizens (``PLANNER_DEMO``)."""

_DIGITS = re.compile(r"[0-9]{10}")

NOT_SET = (
    "PLANNER_CPR_KEYS er ikke sat: CPR-numre kan ikke gemmes krypteret. Lav en nøgle med "
    "`planner keygen` (en anden end nøglerne i PLANNER_SECRET_KEYS)."
)
UNREADABLE = "Et gemt CPR-nummer kan ikke dekrypteres med nøglerne i PLANNER_CPR_KEYS."


class CprKeysMissing(PlannerError):
    """``PLANNER_CPR_KEYS`` is empty or holds something that is not a key (the message says
    which key by its position, never the key)."""

    title = "Manglende nøgle"
    code = "cpr_keys_missing"


class CprUnreadable(PlannerError):
    """A sealed CPR number none of the keys opens (or that holds no CPR number)."""

    title = "CPR-nummeret kan ikke læses"
    code = "cpr_unreadable"


def _derive(key: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(key)


def parse_keys(text: str) -> list[bytes]:
    """The raw keys of a ``PLANNER_CPR_KEYS`` value, current first; ``CprKeysMissing`` when
    there is none, one is not 32 bytes in URL-safe base64, or one is given twice."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise CprKeysMissing(NOT_SET)
    keys: list[bytes] = []
    for position, part in enumerate(parts, start=1):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != KEY_BYTES:
            raise CprKeysMissing(
                f"Nøgle nr. {position} i PLANNER_CPR_KEYS er ikke en nøgle fra `planner keygen` "
                "(32 bytes i URL-sikker base64)."
            )
        if raw in keys:
            raise CprKeysMissing(f"Nøgle nr. {position} i PLANNER_CPR_KEYS står der allerede.")
        keys.append(raw)
    return keys


def _digits(cpr: Cpr | str) -> str:
    if isinstance(cpr, Cpr):
        return cpr.digits
    if isinstance(cpr, str) and _DIGITS.fullmatch(cpr):
        return cpr
    raise ValueError("a CPR number is a Cpr or its ten digits")


@dataclass(frozen=True, eq=False)
class CprVault:
    """Indexes and seals CPR numbers with keys derived from ``PLANNER_CPR_KEYS`` (see the module)."""

    _index_keys: tuple[bytes, ...] = field(repr=False)
    _fernets: tuple[Fernet, ...] = field(repr=False)

    @classmethod
    def from_keys(cls, text: str) -> CprVault:
        """The vault of a ``PLANNER_CPR_KEYS`` value (comma-separated keys, current first)."""
        keys = parse_keys(text)
        index_keys = tuple(_derive(key, INDEX_LABEL) for key in keys)
        fernets = tuple(Fernet(base64.urlsafe_b64encode(_derive(key, SEAL_LABEL))) for key in keys)
        return cls(index_keys, fernets)

    def __repr__(self) -> str:
        return f"CprVault(keys={len(self._index_keys)})"

    @property
    def key_count(self) -> int:
        return len(self._index_keys)

    def index(self, cpr: Cpr | str) -> str:
        """The index of ``cpr`` under the current key: what new rows store."""
        return self._index_with(self._index_keys[0], _digits(cpr))

    def indexes(self, cpr: Cpr | str) -> list[str]:
        """The index of ``cpr`` under every key, current first: what look-ups ask for."""
        digits = _digits(cpr)
        return [self._index_with(key, digits) for key in self._index_keys]

    def matches(self, index: str, cpr: Cpr | str) -> bool:
        """Whether a stored ``index`` is ``cpr``'s under any of the keys."""
        return any(hmac.compare_digest(index, candidate) for candidate in self.indexes(cpr))

    def seal(self, cpr: Cpr | str) -> str:
        """``cpr`` encrypted with the current key (a Fernet token; new at every call)."""
        return self._fernets[0].encrypt(_digits(cpr).encode("ascii")).decode("ascii")

    def unseal(self, token: str) -> Cpr:
        """The CPR number in ``token``, sealed with any of the keys; ``CprUnreadable`` otherwise."""
        try:
            digits = MultiFernet(list(self._fernets)).decrypt(token.encode("ascii")).decode("ascii")
            return parse_cpr(digits)
        except (InvalidToken, InvalidCpr, UnicodeError, ValueError):
            raise CprUnreadable(UNREADABLE) from None

    def is_current(self, token: str) -> bool:
        """Whether ``token`` is sealed with the current key (nothing for a rotation to do)."""
        try:
            self._fernets[0].decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True

    def rotate(self, token: str) -> str:
        """``token`` sealed again with the current key (``MultiFernet.rotate``); ``CprUnreadable``
        when none of the keys opens it."""
        try:
            return MultiFernet(list(self._fernets)).rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise CprUnreadable(UNREADABLE) from None

    @staticmethod
    def _index_with(key: bytes, digits: str) -> str:
        return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def vault_for(keys: str, *, demo: bool = False) -> CprVault:
    """The vault of a ``PLANNER_CPR_KEYS`` value, made once per value. Empty keys are
    ``CprKeysMissing``, except in the demo (``PLANNER_DEMO``), which then uses ``DEMO_KEY``."""
    if not keys.strip() and demo:
        return CprVault.from_keys(DEMO_KEY.decode("ascii"))
    return CprVault.from_keys(keys)


def vault_for_settings(settings: Any) -> CprVault:
    """The vault of a ``Settings`` (its ``cpr_keys`` and ``demo``); see ``vault_for``."""
    keys = settings.cpr_keys
    text = keys.get_secret_value() if hasattr(keys, "get_secret_value") else str(keys or "")
    return vault_for(text, demo=bool(settings.demo))
