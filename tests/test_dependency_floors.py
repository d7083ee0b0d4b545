"""The lowest versions pyproject.toml admits are past the known advisories of these packages."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
FIXED_IN = {
    "gunicorn": "23.0.0",  # request smuggling (CVE-2024-1135, CVE-2024-6827)
    "waitress": "3.0.1",  # DoS and request smuggling (CVE-2024-49768, CVE-2024-49769)
    "cryptography": "42.0.4",  # NULL dereference in PKCS#12 handling (CVE-2024-26130)
    "requests": "2.32.4",  # .netrc credentials leak (CVE-2024-47081), verify=False kept (CVE-2024-35195)
}


def test_no_admitted_version_has_a_known_advisory() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    floors = {}
    for text in dependencies:
        requirement = Requirement(text)
        lower = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==", "~=")]
        floors[requirement.name] = max(lower) if lower else None
    for name, fixed in FIXED_IN.items():
        assert floors[name] is not None and floors[name] >= Version(fixed), f"{name} admits {floors[name]} < {fixed}"
