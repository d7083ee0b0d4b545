"""The lowest versions pyproject.toml admits are past the known advisories of these packages,
and have what the code uses (.ci/run runs the CalDAV tests at these floors)."""

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


USED_SINCE = {
    "caldav": "3.6.0",  # DAVError.status (3.6), DAVError.preconditions (3.5), caldav.lib.http_sync (3.3)
    "niquests": "3.4.0",  # Session(resolver=...) of the calendar client's session
    "apiflask": "2.3.2",  # input(validation=False) hands the data over as arg_name
    "icalendar": "7.0.0",  # an RRULE or EXDATE it cannot read is an error, not skipped
    "radicale": "3.7.0",  # [server] delay_on_error of the embedded Radicale (demo and test extras)
}


def floors(*, extras: bool = False) -> dict[str, Version | None]:
    """The lowest version pyproject.toml admits of each dependency (with ``extras``: of the
    optional ones too)."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    texts = list(project["dependencies"])
    if extras:
        texts += [text for group in project["optional-dependencies"].values() for text in group]
    lowest: dict[str, Version | None] = {}
    for text in texts:
        requirement = Requirement(text)
        lower = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==", "~=")]
        lowest[requirement.name] = max(lower) if lower else None
    return lowest


def test_no_admitted_version_has_a_known_advisory() -> None:
    lowest = floors()
    for name, fixed in FIXED_IN.items():
        assert lowest[name] is not None and lowest[name] >= Version(fixed), f"{name} admits {lowest[name]} < {fixed}"


def test_no_admitted_version_lacks_what_the_code_uses() -> None:
    lowest = floors(extras=True)
    for name, since in USED_SINCE.items():
        assert lowest[name] is not None and lowest[name] >= Version(since), f"{name} admits {lowest[name]} < {since}"
