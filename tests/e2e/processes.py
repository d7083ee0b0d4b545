"""Start the services as real processes and wait until they answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TypeVar

import requests

from tests.conftest import eventually

T = TypeVar("T")
PLANNER = [sys.executable, "-m", "services.cli"]


class ServiceProcesses:
    """Owns the processes of one test; logs go to files that a failing test prints."""

    def __init__(self, log_dir: Path, env: dict[str, str]):
        self.log_dir, self.env = log_dir, {**os.environ, **env}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*PLANNER, *args], env=self.env, capture_output=True, text=True, timeout=120, check=True)

    def start(self, name: str, *args: str) -> None:
        log = (self.log_dir / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [*PLANNER, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def logs(self) -> str:
        return "\n".join(
            f"----- {p.name} -----\n{p.read_text(errors='replace')[-6000:]}" for p in self.log_dir.glob("*.log")
        )

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


def wait_healthy(base_url: str, procs: ServiceProcesses) -> None:
    def healthy() -> bool:
        try:
            return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    eventually(healthy, timeout=60, what=f"{base_url} to answer", on_tick=procs.assert_running)
