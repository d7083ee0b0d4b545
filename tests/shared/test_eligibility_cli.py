"""``planner rules check``: JSON on stdout, exit 0 with a decision, exit 2 with the problems."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
import time_machine
from click.testing import CliRunner, Result

from services.rules_cli import rules

ROOT = Path(__file__).resolve().parents[2]
RULES = {
    "join": "and",
    "groups": [
        {
            "match": "all",
            "rules": [
                {"type": "age", "condition": "lt", "value": 30},
                {"type": "contact_group", "condition": "eq", "value": "Dagpengemodtager"},
            ],
        }
    ],
}
CITIZEN = {"cpr": "150396-1234", "name": "Test Testesen", "contact_group": "Dagpengemodtager"}  # 30 on 15 March 2026


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def run(
    tmp_path: Path, rules_doc: Any = RULES, citizen: Any = CITIZEN, *extra: str, citizen_name: str = "c.json"
) -> Result:
    args = [
        "check",
        "--rules",
        write(tmp_path, "r.json", rules_doc),
        "--citizen",
        write(tmp_path, citizen_name, citizen),
    ]
    return CliRunner().invoke(rules, [*args, *extra])


def test_the_group_is_called_rules_with_a_check_command() -> None:
    assert isinstance(rules, click.Group) and rules.name == "rules"
    assert set(rules.commands) == {"check"}


def test_eligible_the_day_before_the_30th_birthday(tmp_path: Path) -> None:
    result = run(tmp_path, RULES, CITIZEN, "--today", "2026-03-14")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"eligible": True, "failed": []}


def test_not_eligible_on_the_birthday_and_told_why(tmp_path: Path) -> None:
    result = run(tmp_path, RULES, CITIZEN, "--today", "2026-03-15")
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert output["eligible"] is False
    (group,) = output["failed"]
    assert (group["group"], group["match"], group["code"]) == (1, "all", "group_not_met")
    (rule,) = group["rules"]
    assert {k: rule[k] for k in ("group", "rule", "type", "condition", "value", "code")} == {
        "group": 1,
        "rule": 1,
        "type": "age",
        "condition": "lt",
        "value": 30,
        "code": "not_met",
    }
    assert rule["message"] == "Alder mindre end 30 er ikke opfyldt: borgeren er 30 år."
    assert "1234" not in result.output, "never the CPR number"


def test_today_defaults_to_the_date_in_copenhagen(tmp_path: Path) -> None:
    with time_machine.travel(datetime(2026, 3, 14, 23, 30, tzinfo=UTC), tick=False):  # 15 March 00:30 in Copenhagen
        result = run(tmp_path)
    assert result.exit_code == 0 and json.loads(result.output)["eligible"] is False


def test_a_csv_citizen_file(tmp_path: Path) -> None:
    csv_text = "cpr,contact_group,person_group_markers\n150396-1234,Dagpengemodtager,STAT-UNGE;STAT-SENIOR\n"
    result = run(tmp_path, RULES, csv_text, "--today", "2026-03-14", citizen_name="c.csv")
    assert result.exit_code == 0 and json.loads(result.output)["eligible"] is True


@pytest.mark.parametrize(
    ("rules_doc", "citizen", "expected"),
    [
        ({"groups": []}, CITIZEN, [("rules", "/groups", "too_few_rules")]),
        (
            {"groups": [{"match": "all", "rules": [{"type": "age", "condition": "has", "value": 0}]}]},
            CITIZEN,
            [
                ("rules", "/groups/0/rules/0/condition", "condition_not_allowed"),
                ("rules", "/groups/0/rules/0/value", "not_positive"),
            ],
        ),
        (RULES, {**CITIZEN, "cpr": "300290-1234"}, [("citizen", "/cpr", "invalid_cpr")]),
        (RULES, {**CITIZEN, "alder": 30}, [("citizen", "/alder", "unknown_field")]),
        (RULES, [CITIZEN, CITIZEN], [("citizen", "", "not_one_citizen")]),
        ("{nope", "[", [("rules", "", "invalid_json"), ("citizen", "", "invalid_json")]),
    ],
)
def test_invalid_rules_or_citizen_exit_2_with_the_problems(
    tmp_path: Path, rules_doc: Any, citizen: Any, expected: list[tuple[str, str, str]]
) -> None:
    result = run(tmp_path, rules_doc, citizen, "--today", "2026-03-14")
    assert result.exit_code == 2, result.output
    problems = json.loads(result.output)["problems"]
    assert [(p["file"], p["path"], p["code"]) for p in problems] == expected
    assert all(set(p) == {"file", "path", "code", "message"} and p["message"] for p in problems)


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    args = ["check", "--rules", str(tmp_path / "none.json"), "--citizen", write(tmp_path, "c.json", CITIZEN)]
    result = CliRunner().invoke(rules, args)
    assert result.exit_code == 2
    assert json.loads(result.output)["problems"][0]["code"] == "unreadable_file"


def test_a_wrong_date_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, RULES, CITIZEN, "--today", "14-03-2026")
    assert result.exit_code == 2 and "ÅÅÅÅ-MM-DD" in result.output


def test_runs_as_a_module(tmp_path: Path) -> None:
    args = ["--rules", write(tmp_path, "r.json", RULES), "--citizen", write(tmp_path, "c.json", CITIZEN)]
    done = subprocess.run(
        [sys.executable, "-m", "services.rules_cli", "check", *args, "--today", "2026-03-14"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"eligible": True, "failed": []}
