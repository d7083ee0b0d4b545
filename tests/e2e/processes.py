"""Start the services as real processes and wait until they answer.

The processes die with the test process, even when it is killed hard (SIGKILL): on Linux
each gets PR_SET_PDEATHSIG, and a reaper (tests/e2e/reaper.py) kills each one's whole
process group, which also reaches what the service started itself (Celery's beat process).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import requests

from tests.child_processes import die_with_this_thread
from tests.conftest import eventually
from tests.e2e.reaper import kill_group, start_time

T = TypeVar("T")
PLANNER = [sys.executable, "-m", "services.cli"]
ROOT = Path(__file__).resolve().parents[2]

SERVICE_LOGS = pytest.StashKey[Callable[[], str]]()


def show_logs_on_failure(request: pytest.FixtureRequest, logs: Callable[[], str]) -> None:
    """Add ``logs()`` to the report when the test fails (tests/e2e/conftest.py reads this)."""
    request.node.stash[SERVICE_LOGS] = logs


class ServiceProcesses:
    """Owns the processes of one test; logs go to files that a failing test prints."""

    def __init__(self, log_dir: Path, env: dict[str, str]):
        self.log_dir, self.env = log_dir, {**os.environ, **env}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._groups: dict[int, int | None] = {}  # every group started, also those popped from ``procs``
        self._reaper: subprocess.Popen[str] | None = None

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``planner *args`` to the end; its output joins the logs; raises if it fails."""
        done = subprocess.run(
            [*PLANNER, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            preexec_fn=die_with_this_thread(),  # only prctl: safe beside threads
        )
        (self.log_dir / f"planner {' '.join(args)}.log").write_text(done.stdout + done.stderr)
        done.check_returncode()
        return done

    def start(self, name: str, *args: str) -> None:
        reaper = self._watching()
        log = (self.log_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [*PLANNER, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_this_thread(),  # only prctl: safe beside threads
        )
        log.close()
        self.procs[name] = proc
        started = start_time(proc.pid)
        self._groups[proc.pid] = started
        assert reaper.stdin is not None
        reaper.stdin.write(f"{proc.pid} {started if started is not None else '-'}\n")
        reaper.stdin.flush()

    def _watching(self) -> subprocess.Popen[str]:
        """The reaper of this test's process groups, started on first use."""
        if self._reaper is None:
            self._reaper = subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.reaper"],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                text=True,
                start_new_session=True,  # not in pytest's group: a signal to that group must not end it
            )
        return self._reaper

    def pids(self) -> list[int]:
        """Every living process in the groups of this test's services (Linux)."""
        groups, found = set(self._groups), []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except (FileNotFoundError, ProcessLookupError):
                    continue
                if fields[0] != "Z" and int(fields[2]) in groups:
                    found.append(int(entry))
        return sorted(found)

    def logs(self) -> str:
        """The last lines of every process's log (for a failure report)."""
        return "\n".join(
            f"----- {p.name} -----\n{p.read_text(errors='replace')[-6000:]}" for p in self.log_dir.glob("*.log")
        )

    def full_logs(self) -> str:
        """Every line every process logged so far."""
        return "\n".join(p.read_text(errors="replace") for p in self.log_dir.glob("*.log"))

    def assert_running(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}\n{self.logs()}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        for pgid, started in self._groups.items():
            kill_group(pgid, started)  # what outlived its main process
        if self._reaper is not None and self._reaper.stdin is not None:
            self._reaper.stdin.write("done\n")
            self._reaper.stdin.close()
            self._reaper.wait(timeout=10)
            self._reaper = None


def wait_healthy(base_url: str, procs: ServiceProcesses) -> None:
    def healthy() -> bool:
        try:
            return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to start
            return False

    eventually(healthy, timeout=60, what=f"{base_url} to answer", on_tick=procs.assert_running)
