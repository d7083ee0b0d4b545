"""No CPR number reaches a log stream, whichever part of a real process writes the line:
our root handler (message, traceback, stack), gunicorn's access and error logs around the
Flask app, and the Celery worker. Each test runs the real process and reads what it wrote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from celery import Celery

from services.offers.db import migrate as migrate_offers
from shared.logs import MASK
from tests.child_processes import die_with_this_thread
from tests.conftest import eventually, free_port

ROOT = Path(__file__).resolve().parents[2]
CPR, CPR_WITH_HYPHEN = "0102031234", "010203-1234"
CASE_NUMBER = "9876543210"
"""Ten digits that cannot be a CPR number (day 98): it stays readable."""


def assert_no_cpr(output: str) -> None:
    assert CPR not in output and CPR_WITH_HYPHEN not in output, output
    assert MASK in output, output


class Process:
    """A process of the system started for a test; its output goes to a file."""

    def __init__(self, command: list[str], log: Path, env: dict[str, str]):
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_this_thread(),
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def assert_running(self) -> None:
        if self.proc.poll() is not None:
            raise AssertionError(f"exited with {self.proc.returncode}:\n{self.output()}")

    def stop(self) -> str:
        """Stop it as systemd does (SIGTERM) and return everything it wrote."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        return self.output()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def run(name: str, command: list[str], **env: str) -> Process:
        process = Process(command, tmp_path / f"{name}.log", env)
        started.append(process)
        return process

    yield run
    for process in started:
        process.stop()


def test_a_service_process_masks_a_cpr_number_in_messages_tracebacks_and_stacks(tmp_path: Path) -> None:
    script = tmp_path / "service.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import logging

            from shared.logs import configure_logging

            configure_logging("INFO")
            log = logging.getLogger("services.probe")


            def look_up(cpr):
                raise ValueError(f"ugyldigt CPR {{cpr}} i sag {CASE_NUMBER}")


            def report(cpr):
                log.warning("afvist", stack_info=True)


            log.info("opslag for %s", "{CPR_WITH_HYPHEN}")
            try:
                look_up("{CPR}")
            except ValueError:
                log.exception("opslag fejlede")
            report("{CPR}")
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    output = done.stderr
    assert_no_cpr(output)
    assert f"INFO services.probe opslag for {MASK}" in output
    assert "ERROR services.probe opslag fejlede\nTraceback (most recent call last):" in output
    assert f"ValueError: ugyldigt CPR {MASK} i sag {CASE_NUMBER}" in output  # the traceback
    assert f'report("{MASK}")' in output  # the stack


@pytest.fixture
def offers_url(create_database: Callable[[str], str]) -> str:
    url = create_database("logs")
    migrate_offers(url)
    return url


def test_gunicorn_masks_a_cpr_number_in_the_access_log_and_a_failing_request(
    start: Callable[..., Process], tmp_path: Path, offers_url: str, secret_keys: str
) -> None:
    # The offers API exactly as deploy/ runs it, plus one route that fails with a CPR number
    # in its error, as a bug deep in a request could.
    (tmp_path / "failing_offers.py").write_text(
        textwrap.dedent(
            f"""
            from services.offers.wsgi import app
            from shared.auth.web import public


            @app.get("/probe/<cpr>")
            @public
            def probe(cpr):
                raise ValueError(f"ugyldigt CPR {{cpr}} i sag {CASE_NUMBER}")
            """
        ),
        encoding="utf-8",
    )
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}"]
    gunicorn = start(
        "gunicorn",
        [*command, "--no-control-socket", "--pythonpath", str(tmp_path), "failing_offers:app"],
        PLANNER_OFFERS_DATABASE_URL=offers_url,
        PLANNER_BROKER_URL="memory://",
        PLANNER_CPR_KEYS=secret_keys,
        PLANNER_GUNICORN_WORKERS="1",
        PLANNER_GUNICORN_THREADS="2",
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to start
            return False

    eventually(healthy, timeout=60, what="gunicorn to answer", on_tick=gunicorn.assert_running)
    assert requests.get(f"{base}/api/v1/advisors/{CPR}", timeout=10).status_code == 404
    failed = requests.get(f"{base}/probe/{CPR_WITH_HYPHEN}", timeout=10)
    assert failed.status_code == 500 and CPR_WITH_HYPHEN not in failed.text
    eventually(lambda: '" 500 ' in gunicorn.output(), timeout=10, what="the access log line")
    output = gunicorn.stop()

    assert_no_cpr(output)
    assert f'"GET /api/v1/advisors/{MASK}" 404' in output  # gunicorn's own access log
    assert f'"GET /probe/{MASK}" 500' in output
    assert f"Exception on /probe/{MASK} [GET]" in output  # Flask's error log, with its traceback
    assert f"ValueError: ugyldigt CPR {MASK} i sag {CASE_NUMBER}" in output


def test_gunicorn_masks_a_cpr_number_in_its_own_lines_whatever_the_app_does(
    start: Callable[..., Process], tmp_path: Path
) -> None:
    # gunicorn with deploy/'s settings around a bare WSGI app that sets up no logging of its
    # own: gunicorn's error log (a failing request, with its URL and traceback) and its
    # access log mask CPR numbers by themselves.
    (tmp_path / "bare_app.py").write_text(
        textwrap.dedent(
            f"""
            def app(environ, start_response):
                path = environ["PATH_INFO"]
                if path.startswith("/fail/"):
                    raise ValueError(f"ugyldigt CPR {{path.removeprefix('/fail/')}} i sag {CASE_NUMBER}")
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"ukendt"]
            """
        ),
        encoding="utf-8",
    )
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}"]
    gunicorn = start(
        "gunicorn",
        [*command, "--no-control-socket", "--pythonpath", str(tmp_path), "bare_app:app"],
        PLANNER_GUNICORN_WORKERS="1",
        PLANNER_GUNICORN_THREADS="2",
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{base}/", timeout=2).status_code == 404
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to start
            return False

    eventually(answers, timeout=60, what="gunicorn to answer", on_tick=gunicorn.assert_running)
    assert requests.get(f"{base}/lookup/{CPR}?x={CPR}", timeout=10).status_code == 404
    assert requests.get(f"{base}/fail/01.01.90-1234?cpr={CPR_WITH_HYPHEN}", timeout=10).status_code == 500
    eventually(lambda: '" 500 ' in gunicorn.output(), timeout=10, what="the access log line")
    output = gunicorn.stop()

    assert_no_cpr(output)
    assert "01.01.90-1234" not in output
    assert f'"GET /lookup/{MASK}" 404' in output  # the access log
    assert f"Error handling request GET /fail/{MASK}?cpr={MASK}" in output  # the error log ...
    assert f"ValueError: ugyldigt CPR {MASK} i sag {CASE_NUMBER}" in output  # ... with its traceback


def test_the_celery_worker_masks_a_cpr_number_in_a_failing_task(
    start: Callable[..., Process], tmp_path: Path, rabbitmq_url: str, unique_exchange: str
) -> None:
    # The worker as `planner worker` starts it (our logging first, then Celery's worker with
    # its prefork pool), at DEBUG (Celery then logs every task's arguments), with one task
    # that returns a CPR number and one that fails with it in its error. A node name of its
    # own: other workers may share the broker.
    queue = f"{unique_exchange}.tasks"
    (tmp_path / "failing_worker.py").write_text(
        textwrap.dedent(
            f"""
            from services.calendar_sync.celery_app import app
            from shared.config import get_settings
            from shared.logs import configure_logging


            @app.task(name="probe.echo")
            def echo(cpr):
                return cpr


            @app.task(name="probe.look_up")
            def look_up(cpr):
                raise ValueError(f"ugyldigt CPR {{cpr}} i sag {CASE_NUMBER}")


            configure_logging(get_settings().log_level)
            argv = ["worker", "--loglevel=DEBUG", "--concurrency=1", "-Q", "{queue}"]
            app.worker_main([*argv, "-n", "{unique_exchange}@%h", "--without-mingle", "--without-gossip"])
            """
        ),
        encoding="utf-8",
    )
    worker = start(
        "worker",
        [sys.executable, str(tmp_path / "failing_worker.py")],
        PLANNER_BROKER_URL=rabbitmq_url,
        PLANNER_EVENTS_EXCHANGE=unique_exchange,
        PLANNER_TASK_QUEUE=queue,
        PLANNER_LOG_LEVEL="DEBUG",
        PYTHONPATH=str(ROOT),
    )
    with Celery("sender", broker=rabbitmq_url, set_as_current=False) as sender:
        sender.send_task("probe.echo", args=[CPR], queue=queue)
        sender.send_task("probe.look_up", args=[CPR_WITH_HYPHEN], queue=queue)

    def task_failed() -> bool:
        return "raised unexpected" in worker.output()

    eventually(task_failed, timeout=60, what="the task to fail", on_tick=worker.assert_running)
    output = worker.stop()

    assert_no_cpr(output)
    assert "TaskPool: Apply" in output and f"'argsrepr': \"['{MASK}']\"" in output  # the arguments, at DEBUG
    assert "succeeded in" in output and f": '{MASK}'" in output  # the result
    assert "probe.look_up" in output and f"ValueError('ugyldigt CPR {MASK} i sag {CASE_NUMBER}')" in output
    assert "Traceback (most recent call last):" in output
    assert f"ValueError: ugyldigt CPR {MASK} i sag {CASE_NUMBER}" in output
