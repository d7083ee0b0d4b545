"""API keys for machines (the CLI, the demo's set-up, other systems). Pure.

A key reads ``plk_<key id>_<secret>``: the key id (12 hex digits) names the key in settings
and logs, the secret is 32 random bytes (256 bits) from ``secrets``. Only a SHA-256 hash of
the whole key is stored. A fast hash is right here, unlike for passwords: a 256-bit random
secret cannot be guessed however fast the hash, so a slow one (scrypt) would protect nothing
and only make every API request cost tens of milliseconds and megabytes of memory, a lever
for overloading the service. The hash is compared in constant time.

The setting ``PLANNER_API_KEYS`` is a JSON list of ``stored_form`` objects:
``[{"id": "...", "name": "...", "sha256": "...", "grants": ["planner:10101"]}]``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.auth.grants import parse_grants
from shared.auth.principal import Grant, Machine

PREFIX = "plk"
_KEY = re.compile(rf"{PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})")


@dataclass(frozen=True, slots=True)
class StoredApiKey:
    """What is kept of a key: its id, a name for people, the hash and the grants."""

    key_id: str
    name: str
    sha256: str = field(repr=False)
    grants: frozenset[Grant] = frozenset()


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key just made: ``key`` is shown once to whoever made it, ``stored`` is kept."""

    key: str = field(repr=False)
    stored: StoredApiKey


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(name: str, grants: Iterable[Grant]) -> NewApiKey:
    """A new random key for the machine ``name`` with ``grants``."""
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key=key, stored=StoredApiKey(key_id, name, key_hash(key), frozenset(grants)))


def looks_like_api_key(text: str) -> bool:
    """Whether a bearer credential is one of our API keys (and so is never parsed as a JWT)."""
    return text.startswith(PREFIX + "_")


def verify_api_key(presented: str, known: Mapping[str, StoredApiKey]) -> Machine | None:
    """The machine whose key ``presented`` is, or ``None`` (unknown id, wrong secret, malformed)."""
    match = _KEY.fullmatch(presented)
    if match is None:
        return None
    stored = known.get(match.group(1))
    if stored is None:
        return None
    if not hmac.compare_digest(key_hash(presented), stored.sha256):
        return None
    return Machine(client_id=f"apikey:{stored.key_id}", name=stored.name, grants=stored.grants)


def stored_form(stored: StoredApiKey) -> dict[str, object]:
    """The JSON object for ``PLANNER_API_KEYS``."""
    grants = sorted(map(str, stored.grants))
    return {"id": stored.key_id, "name": stored.name, "sha256": stored.sha256, "grants": grants}


def parse_api_keys(text: str) -> dict[str, StoredApiKey]:
    """``PLANNER_API_KEYS`` -> key id -> stored key; ``ValueError`` names what is wrong."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the API keys are not valid JSON: {exc.msg}") from None
    if not isinstance(data, list):
        raise ValueError("the API keys must be a JSON list")
    keys: dict[str, StoredApiKey] = {}
    for entry in data:
        if not isinstance(entry, dict):
            raise ValueError("each API key must be a JSON object")
        key_id, name, digest, grants = (entry.get(k) for k in ("id", "name", "sha256", "grants"))
        if not (isinstance(key_id, str) and re.fullmatch(r"[0-9a-f]{12}", key_id)):
            raise ValueError("an API key's id must be 12 hex digits")
        if not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
            raise ValueError(f"API key {key_id}: sha256 must be 64 hex digits")
        if not isinstance(grants, list) or not all(isinstance(grant, str) for grant in grants):
            raise ValueError(f"API key {key_id}: grants must be a list of role:centre,centre")
        keys[key_id] = StoredApiKey(key_id, str(name or key_id), digest, parse_grants(grants))
    return keys
