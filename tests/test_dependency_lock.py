"""requirements/deploy.lock, what IT installs with ``pip install --require-hashes``, pins
every runtime dependency of pyproject.toml (and setuptools, which builds the project) at a
version pyproject.toml admits, each with ``==`` and its hashes. Whether it also pins every
package those need is checked by .ci/run, which resolves it with hashes required."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "deploy.lock"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Pin:
    operator: str
    version: str
    hashes: tuple[str, ...]


def locked() -> dict[str, Pin]:
    """Each requirement of the lock by its normalised name (a requirement with its
    continuation lines is one entry; comments are dropped)."""
    text = re.sub(r"\s*\\\n", " ", LOCK.read_text(encoding="utf-8"))
    pins: dict[str, Pin] = {}
    for line in (line.strip() for line in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(===|==|~=|>=|<=|!=|>|<)?\s*([^\s;]*)", line)
        assert match, f"unreadable line in {LOCK.name}: {line}"
        name, operator, version = match.groups()
        assert canonicalize_name(name) not in pins, f"{name} is pinned twice"
        pins[canonicalize_name(name)] = Pin(operator or "", version, tuple(re.findall(r"--hash=(\S+)", line)))
    return pins


def test_every_entry_is_pinned_exactly_with_its_hashes() -> None:
    pins = locked()
    assert len(pins) > 20, pins
    for name, pin in pins.items():
        assert pin.operator == "==" and Version(pin.version), f"{name} is not pinned with ==: {pin}"
        assert pin.hashes and all(h.startswith("sha256:") for h in pin.hashes), f"{name} has no sha256 hash"


def test_every_runtime_dependency_is_locked_at_an_admitted_version() -> None:
    pins = locked()
    requirements = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]
    requirements += [Requirement(text) for text in PYPROJECT["build-system"]["requires"]]
    for requirement in requirements:
        pin = pins.get(canonicalize_name(requirement.name))
        assert pin is not None, f"{requirement.name} is not in {LOCK.name}: refresh it (deploy/README.md)"
        assert requirement.specifier.contains(pin.version, prereleases=True), (
            f"{LOCK.name} pins {requirement.name}=={pin.version}, which pyproject.toml does not admit "
            f"({requirement.specifier}): refresh it (deploy/README.md)"
        )


def test_the_demo_calendar_server_is_no_runtime_dependency() -> None:
    runtime = {canonicalize_name(Requirement(text).name) for text in PYPROJECT["project"]["dependencies"]}
    demo = {canonicalize_name(Requirement(text).name) for text in PYPROJECT["project"]["optional-dependencies"]["demo"]}
    test = {canonicalize_name(Requirement(text).name) for text in PYPROJECT["project"]["optional-dependencies"]["test"]}
    assert "radicale" in demo and "radicale" in test  # the demo and the tests start Radicale
    assert "radicale" not in runtime and "radicale" not in locked()
