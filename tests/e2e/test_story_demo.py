"""The same story on the embedded defaults the demo uses: SQLite, the in-process
broker, Celery in eager mode and the embedded Radicale server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from services.demo.run import (
    CITIZEN_CLIENT,
    DemoStack,
    add_group_meetings,
    demo_environment,
    start_demo,
    wait_for_times,
)
from tests.conftest import eventually
from tests.e2e.story import Stack, walk


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[DemoStack]:
    # Every part runs in this process and logs through logging: from INFO on, pytest shows
    # those records with any failure ("Captured log setup/call/teardown").
    caplog.set_level(logging.INFO)
    settings_dir = tmp_path / "settings"
    settings_dir.mkdir()
    for name, value in demo_environment(settings_dir).items():
        monkeypatch.setenv(name, value)  # restored after the test
    stack = start_demo(tmp_path / "demo", offers_port=0, booking_port=0, identity_port=0)
    try:
        yield stack
    finally:
        stack.stop()


def test_demo_publishes_free_times_for_its_offers_and_plans_its_group_meeting(demo: DemoStack) -> None:
    assert len(demo.offer_ids) == 2
    assert wait_for_times(demo) > 0
    assert add_group_meetings(demo, demo.offers_app) == 2

    def free_seats() -> list[int]:
        answer = requests.get(f"{demo.booking_url}/api/v1/offers/{demo.group_offer_id}/meetings", timeout=10)
        return [m["free_seats"] for m in answer.json().get("items", [])] if answer.status_code == 200 else []

    eventually(lambda: len(free_seats()) == 2, timeout=30, what="the meetings to reach booking")
    assert free_seats() == [25, 25]  # the room's 25 seats; 5 more are kept for citizens who rebook


def test_story_on_embedded_defaults(demo: DemoStack, caplog: pytest.LogCaptureFixture) -> None:
    stack = Stack(
        demo.offers_url,
        demo.booking_url,
        demo.radicale,
        demo.users,
        identity_provider=demo.identity_provider,
        citizen_client_id=CITIZEN_CLIENT[0],
        staff_key=demo.setup_key.key,
        logs=lambda: caplog.text,
    )
    walk(stack, concurrent_requests=20)
