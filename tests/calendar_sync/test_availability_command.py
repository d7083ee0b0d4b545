"""``planner availability``: operators see exactly why a time is or is not offered."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from services.cli import main

CORPUS = Path(__file__).parent.parent / "corpus" / "ics"


def run(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["availability", *args])
    payload = json.loads(result.output) if result.exit_code == 0 else {"stderr": result.output}
    return result.exit_code, payload


def test_busy_is_exactly_what_the_calendars_say_merged_and_clipped() -> None:
    code, out = run(
        "--ics",
        str(CORPUS / "dst_autumn.ics"),
        "--ics",
        str(CORPUS / "duration.ics"),
        "--start",
        "2026-10-25",
        "--end",
        "2026-10-27",
    )
    assert code == 0
    assert out["busy"] == [
        {"start": "2026-10-25T01:30:00+02:00", "end": "2026-10-25T03:30:00+01:00"},
        {"start": "2026-10-26T09:00:00+01:00", "end": "2026-10-26T10:00:00+01:00"},
    ]


def test_starts_follow_working_hours_duration_reporting_and_notice() -> None:
    code, out = run(
        "--ics",
        str(CORPUS / "rrule_weekly_count.ics"),
        "--start",
        "2026-12-01",
        "--end",
        "2026-12-02",
        "--duration",
        "45",
        "--reporting",
        "15",
        "--start-minutes",
        "0,30",
        "--working-hours",
        "mon-fri=08:00-12:00",
        "--now",
        "2026-11-30T15:00:00+01:00",
    )
    assert code == 0
    assert out["starts"] == [
        "2026-12-01T08:00:00+01:00",
        "2026-12-01T10:00:00+01:00",
        "2026-12-01T10:30:00+01:00",
        "2026-12-01T11:00:00+01:00",
    ]
    code, out = run(
        "--ics",
        str(CORPUS / "rrule_weekly_count.ics"),
        "--start",
        "2026-12-01",
        "--end",
        "2026-12-02",
        "--working-hours",
        "mon-fri=08:00-12:00",
        "--now",
        "2026-12-01T07:00:00+01:00",
    )
    assert code == 0 and out["starts"] == []  # a day's notice: nothing on the booking day itself


def test_bad_input_is_refused_with_a_message() -> None:
    code, out = run("--ics", str(CORPUS / "duration.ics"), "--start", "2026-12-02", "--end", "2026-12-01")
    assert code == 2 and "--end" in out["stderr"]
    code, out = run(
        "--ics", str(CORPUS / "duration.ics"), "--start", "2026-12-01", "--end", "2026-12-02", "--tz", "Mars/Olympus"
    )
    assert code == 2 and "time zone" in out["stderr"]
