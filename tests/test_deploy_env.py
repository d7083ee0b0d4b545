"""deploy/planner.env.example names only real settings, with values the services accept."""

from __future__ import annotations

from pathlib import Path

from shared.auth.startup import identity_problems
from shared.config import Settings

EXAMPLE = Path(__file__).resolve().parents[1] / "deploy" / "planner.env.example"


def test_the_example_environment_is_valid_and_safe_to_start_with() -> None:
    values = {}
    for line in EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert name.startswith("PLANNER_"), name
            values[name.removeprefix("PLANNER_").lower()] = value
    assert set(values) <= set(Settings.model_fields), set(values) - set(Settings.model_fields)
    settings = Settings.model_validate(values)
    assert settings.cookie_secure and not settings.demo
    assert identity_problems(settings) == []
