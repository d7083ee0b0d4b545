"""End-to-end tests: a failing test shows the logs of the services it ran.

A fixture that starts services registers their logs with ``show_logs_on_failure``; when the
setup, the test itself or the teardown fails, the logs are added to that report as a
section ("service logs"), printed with the failure.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from tests.e2e.processes import SERVICE_LOGS


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, Any]:
    report = yield
    logs = item.stash.get(SERVICE_LOGS, None)
    if logs is not None and report.failed:
        report.sections.append((f"service logs ({report.when})", logs()))
    return report
