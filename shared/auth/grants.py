"""Grants in settings, and the staff provider's groups mapped to them. Pure.

A grant is written ``role:centre,centre`` (``planner:10101,10102``; ``*`` is every job
centre). The group mapping setting is either text, ``group=grant;group=grant`` (a group may
appear more than once), or JSON, ``{"group": "grant"}`` or ``{"group": ["grant", ...]}``.
Group names are the provider's group ids (Entra ID: object ids) and are not secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

from shared.auth.principal import EVERY_JOB_CENTRE, Grant, Role

_JOB_CENTRE_CODE = re.compile(r"[0-9]{5}")

GroupGrants = Mapping[str, frozenset[Grant]]


def parse_grant(text: str) -> frozenset[Grant]:
    """``role:centre,centre`` -> one grant per centre; ``ValueError`` names what is wrong."""
    role_text, sep, centres_text = text.strip().partition(":")
    if not sep:
        raise ValueError(f"a grant is role:centre,centre, not {text!r}")
    try:
        role = Role(role_text.strip())
    except ValueError:
        raise ValueError(f"unknown role {role_text.strip()!r} (administrator, planner or reader)") from None
    centres = [centre.strip() for centre in centres_text.split(",") if centre.strip()]
    if not centres:
        raise ValueError(f"the grant {text!r} names no job centre")
    for centre in centres:
        if centre != EVERY_JOB_CENTRE and not _JOB_CENTRE_CODE.fullmatch(centre):
            raise ValueError(f"{centre!r} is not a job-centre code (5 digits) or *")
    return frozenset(Grant(role, centre) for centre in centres)


def parse_grants(texts: Iterable[str]) -> frozenset[Grant]:
    return frozenset().union(*(parse_grant(text) for text in texts))


def parse_group_grants(text: str) -> GroupGrants:
    """The group mapping setting (text or JSON, see the module) -> group -> grants."""
    text = text.strip()
    if not text:
        return {}
    pairs: list[tuple[str, str]] = []
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the group mapping is not valid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise ValueError("the group mapping JSON must be an object")
        for group, value in data.items():
            grants = [value] if isinstance(value, str) else value
            if not isinstance(grants, list) or not all(isinstance(grant, str) for grant in grants):
                raise ValueError(f"the grants of group {group!r} must be a string or a list of strings")
            pairs.extend((group, grant) for grant in grants)
    else:
        for entry in filter(None, (part.strip() for part in text.split(";"))):
            group, sep, grant = entry.partition("=")
            if not sep or not group.strip():
                raise ValueError(f"a group mapping entry is group=role:centre,centre, not {entry!r}")
            pairs.append((group.strip(), grant))
    mapping: dict[str, frozenset[Grant]] = {}
    for group, grant in pairs:
        mapping[group] = mapping.get(group, frozenset()) | parse_grant(grant)
    return mapping


def groups_in_claim(value: object) -> list[str]:
    """The group claim's value as a list: a JSON list of strings, or one space-separated string."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def grants_for_groups(groups: Iterable[str], mapping: GroupGrants) -> frozenset[Grant]:
    """Every grant that one of ``groups`` carries; groups not in the mapping carry none."""
    return frozenset().union(*(mapping.get(group, frozenset()) for group in groups))
