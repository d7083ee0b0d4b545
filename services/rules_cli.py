"""``planner rules ...``: try an offer's participant rules on a citizen from the command line.

``planner rules check --rules RULES.json --citizen CITIZEN.json [--today DATE]`` prints
``{"eligible": true|false, "failed": [...]}`` (which groups and rules failed, in words) and
exits 0; when the rules or the citizen are not valid it prints ``{"problems": [...]}`` (each
with the file, a JSON pointer, an English code and a Danish message) and exits 2.

The citizen file holds one citizen with the profile import's field names, as JSON (or as a
CSV file with a header and one row). The reference lists are the seeded defaults. Also runs as
``python -m services.rules_cli check ...``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click

from shared.eligibility import DEFAULT_REFERENCE, InvalidCitizen, Problem, check_rules, explain
from shared.eligibility.citizen import CitizenProfile, citizens_from_csv, citizens_from_json
from shared.timeutil import today_in, zone

EXIT_INVALID = 2


def _echo_json(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _fail(problems: list[tuple[str, Problem]]) -> NoReturn:
    _echo_json({"problems": [{"file": source, **problem.to_json()} for source, problem in problems]})
    click.get_current_context().exit(EXIT_INVALID)


def _read(path: Path) -> tuple[str | None, Problem | None]:
    try:
        return path.read_text(encoding="utf-8-sig"), None
    except FileNotFoundError:
        return None, Problem("", "unreadable_file", f"Filen {path} findes ikke.")
    except UnicodeDecodeError:
        return None, Problem("", "unreadable_file", f"Filen {path} er ikke tekst i UTF-8.")
    except OSError:
        return None, Problem("", "unreadable_file", f"Filen {path} kan ikke læses.")


def _load_rules(path: Path) -> tuple[Any, list[Problem]]:
    text, problem = _read(path)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Problem("", "invalid_json", f"Filen er ikke gyldig JSON (linje {exc.lineno}).")]
    rules, problems = check_rules(data, DEFAULT_REFERENCE)
    return rules, problems


def _load_citizen(path: Path) -> tuple[CitizenProfile | None, list[Problem]]:
    text, problem = _read(path)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    try:
        if path.suffix.lower() == ".csv":
            citizens = citizens_from_csv(text, DEFAULT_REFERENCE)
        else:
            citizens = citizens_from_json(text, DEFAULT_REFERENCE)
    except InvalidCitizen as exc:
        return None, exc.problems
    if len(citizens) != 1:
        return None, [
            Problem("", "not_one_citizen", f"Filen skal indeholde netop én borger (den har {len(citizens)}).")
        ]
    return citizens[0], []


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("skal være en dato som ÅÅÅÅ-MM-DD") from None


@click.group(name="rules")
def rules() -> None:
    """Participant rules of offers (wizard step 3): check them against a citizen."""


@rules.command("check")
@click.option(
    "--rules", "rules_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="RULES.json"
)
@click.option(
    "--citizen",
    "citizen_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CITIZEN.json (or a one-row .csv) with the profile import's field names",
)
@click.option("--today", callback=_parse_day, help="Evaluation day, YYYY-MM-DD (default: today in Europe/Copenhagen)")
def check(rules_path: Path, citizen_path: Path, today: date | None) -> None:
    """Say whether the citizen may see and book an offer with these rules, and which rules failed."""
    rule_set, rule_problems = _load_rules(rules_path)
    citizen, citizen_problems = _load_citizen(citizen_path)
    problems = [("rules", p) for p in rule_problems] + [("citizen", p) for p in citizen_problems]
    if problems or rule_set is None or citizen is None:
        _fail(problems)
    day = today or today_in(zone())
    _echo_json(explain(rule_set, citizen.facts_on(day), DEFAULT_REFERENCE).to_json())


if __name__ == "__main__":
    rules(prog_name="python -m services.rules_cli")
