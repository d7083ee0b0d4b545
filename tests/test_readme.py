"""The README is the operator's manual: it must name every setting and the two commands."""

from __future__ import annotations

from pathlib import Path

from shared.config import Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_demo_and_test_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "python3 dev.py demo" in first_block and "python3 dev.py test" in first_block


def test_readme_documents_every_setting() -> None:
    missing = [name for name in Settings.model_fields if f"`PLANNER_{name.upper()}`" not in README]
    assert missing == []
