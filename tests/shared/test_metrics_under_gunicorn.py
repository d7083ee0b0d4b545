"""The metrics under gunicorn as deploy/ runs it (2 worker processes): /metrics adds up the
requests every worker answered (Prometheus' multiprocess mode), whichever worker serves it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from shared.auth.api_keys import create_api_key
from shared.auth.grants import parse_grants
from tests.booking.test_health_and_metrics import sample
from tests.conftest import eventually, free_port
from tests.identities import api_keys_setting, bearer
from tests.shared.test_log_redaction import Process, offers_url, start  # noqa: F401 - fixtures

MONITOR = create_api_key("prometheus", parse_grants(["monitor:*"]))


def test_metrics_add_up_every_workers_requests(
    start: Callable[..., Process],  # noqa: F811
    tmp_path: Path,
    offers_url: str,  # noqa: F811
    secret_keys: str,
) -> None:
    port, folder = free_port(), tmp_path / "metrics"
    command = ["-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "--no-control-socket"]
    gunicorn = start(
        "gunicorn", [sys.executable, *command, "services.offers.wsgi:app"],
        PLANNER_OFFERS_DATABASE_URL=offers_url, PLANNER_BROKER_URL="memory://", PLANNER_CPR_KEYS=secret_keys,
        PLANNER_API_KEYS=api_keys_setting(MONITOR), PLANNER_GUNICORN_WORKERS="2", PLANNER_GUNICORN_THREADS="2",
        PROMETHEUS_MULTIPROC_DIR=str(folder),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{base}/readyz", timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    eventually(answers, timeout=60, what="gunicorn to answer", on_tick=gunicorn.assert_running)
    with ThreadPoolExecutor(12) as pool:  # at once: more than one worker's threads, so both answer
        statuses = list(pool.map(lambda _: requests.get(f"{base}/healthz", timeout=10).status_code, range(60)))
        assert statuses == [200] * 60
        scrapes = list(pool.map(lambda _: requests.get(f"{base}/metrics", headers=bearer(MONITOR), timeout=10).text,
                                range(12)))  # fmt: skip
    counts = "planner_http_request_duration_seconds_count"
    totals = {sample(text, counts, route="/healthz", service="offers") for text in scrapes}
    assert totals == {60.0}  # whichever worker answered the scrape
    assert list(folder.glob("*.db"))  # the workers' samples, in the folder given
    gunicorn.stop()
