"""What the end-to-end machinery promises a developer: a failing test shows the services'
logs, and a test run killed hard (SIGKILL) leaves no service process behind.

Each test runs a small pytest of its own as a subprocess and looks at it from outside.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import eventually
from tests.e2e.processes import ROOT, die_with_this_thread
from tests.e2e.reaper import start_time

pytestmark = pytest.mark.e2e

BLOCKING_RUN = """
import json, os, threading
from pathlib import Path

from tests.conftest import eventually
from tests.e2e.processes import ServiceProcesses


def test_start_the_worker_and_block(tmp_path):
    env = {
        "PLANNER_CALENDAR_SYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'sync.db'}",
        "PLANNER_BROKER_URL": "memory://",
        "PLANNER_TASK_QUEUE": "hygiene.tasks",
        "PLANNER_EVENTS_EXCHANGE": "hygiene.events",
        "PLANNER_SECRET_KEYS": os.environ["HYGIENE_SECRET_KEYS"],
        "PLANNER_STATE_DIR": str(tmp_path / "state"),  # beat keeps its schedule file there
    }
    procs = ServiceProcesses(tmp_path, env)
    procs.run("migrate", "calendar_sync")
    procs.start("worker", "worker", "--beat", "--concurrency", "2")
    # the worker, its two pool processes and its beat process
    pids = eventually(lambda: len(procs.pids()) >= 4 and procs.pids(), "the worker's processes", 60,
                      on_tick=procs.assert_running)
    written = Path(os.environ["HYGIENE_PIDS"] + ".part")
    written.write_text(json.dumps({"services": pids, "reaper": procs._reaper.pid}))
    written.rename(os.environ["HYGIENE_PIDS"])  # whole or not at all
    threading.Event().wait()  # until this pytest is killed
"""

FAILING_RUN = """
import pytest

from tests.e2e.processes import ServiceProcesses, show_logs_on_failure


@pytest.fixture
def procs(request, tmp_path):
    procs = ServiceProcesses(tmp_path, {})
    show_logs_on_failure(request, procs.logs)
    procs.start("version", "--version")
    procs.procs["version"].wait(timeout=60)
    yield procs
    procs.stop()


def test_the_story_goes_wrong(procs):
    assert False, "the story went wrong"
"""


def _pytest(test_file: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.e2e.conftest", "-q", str(test_file)]


def _gone(pid: int, started: int | None) -> bool:
    """Whether the process ``pid`` that started at ``started`` has ended (a zombie has)."""
    if start_time(pid) != started:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        return "(ended)"


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG and /proc are Linux")
def test_no_service_process_outlives_a_test_run_killed_with_sigkill(tmp_path: Path, secret_keys: str) -> None:
    test_file, pid_file = tmp_path / "test_blocking.py", tmp_path / "pids.json"
    test_file.write_text(BLOCKING_RUN)
    env = {
        **os.environ,
        "HYGIENE_PIDS": str(pid_file),
        "HYGIENE_SECRET_KEYS": secret_keys,
        "PYTEST_ADDOPTS": f"--basetemp={tmp_path / 'inner'} -o timeout=300",
    }
    run = subprocess.Popen(
        _pytest(test_file),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_this_thread(),  # only prctl: safe beside threads
    )
    started: dict[int, int | None] = {}
    try:

        def written() -> bool:
            if run.poll() is not None:
                output = run.stdout.read().decode(errors="replace") if run.stdout else ""
                raise AssertionError(f"the inner pytest ended with {run.returncode}:\n{output}")
            return pid_file.exists()

        eventually(written, "the inner run to start the worker", 120)
        pids = json.loads(pid_file.read_text())
        started = {pid: start_time(pid) for pid in [*pids["services"], pids["reaper"]]}
        assert len(pids["services"]) >= 4 and all(not _gone(pid, at) for pid, at in started.items())

        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)

        def survivors() -> list[str]:
            return [f"{pid}: {_command(pid)}" for pid, at in started.items() if not _gone(pid, at)]

        try:
            eventually(lambda: not survivors(), "every process of the killed run to end", 30)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; still running: {survivors()}") from None
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=10)
        for pid, at in started.items():  # clean up after a failure: only processes this test saw start
            if not _gone(pid, at):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if run.stdout:
            run.stdout.close()


def test_a_failing_test_shows_what_its_services_logged(tmp_path: Path) -> None:
    test_file = tmp_path / "test_failing.py"
    test_file.write_text(FAILING_RUN)
    env = {**os.environ, "PYTEST_ADDOPTS": f"--basetemp={tmp_path / 'inner'}"}
    done = subprocess.run(
        _pytest(test_file), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    log = tmp_path / "inner" / "test_the_story_goes_wrong0" / "version.log"
    logged = log.read_text().strip()
    assert done.returncode == 1, done.stdout + done.stderr
    assert logged.endswith(f"version {version('jobcenter-planner')}")  # the service did log something to show
    failure = done.stdout.split("the story went wrong", 1)[1]
    assert "service logs (call)" in failure and f"----- version.log -----\n{logged}" in failure, done.stdout
