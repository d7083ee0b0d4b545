#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python (>= 3.11).

    python3 dev.py demo    install into .venv (with the demo extra), then run the whole system in one process
    python3 dev.py test    install into .venv (with the test extra), then run the tests

Extra arguments go to ``planner demo`` or ``pytest``. The install is repeated only when
pyproject.toml changes (or the other command's extra is not installed yet).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_installed(extra: str) -> None:
    """The project with ``extra`` (demo: its embedded Radicale; test: that and the test tools)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs before anything checks requires-python
        sys.exit("jobcenter-planner needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{digest}-{extra}"
    if stamp.exists():
        return
    print("installing jobcenter-planner and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[{extra}]"], check=True)
    for old in VENV.glob(".installed-*"):
        if not old.name.startswith(f".installed-{digest}-"):
            old.unlink()
    stamp.touch()


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test"):
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_installed(command)  # each command installs the extra of its name
    os.chdir(ROOT)
    if command == "demo":
        return subprocess.call([str(BIN / "planner"), "demo", *rest])
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest])


if __name__ == "__main__":
    sys.exit(main())
