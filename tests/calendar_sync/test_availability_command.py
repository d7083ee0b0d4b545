"""``planner availability``: operators see exactly why a time is or is not offered."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner

from services.cli import main
from tests.calendar_sync.factories import at, vcalendar, vevent

CORPUS = Path(__file__).parent.parent / "corpus" / "ics"


def run(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["availability", *args])
    payload = json.loads(result.output) if result.exit_code == 0 else {"stderr": result.output}
    return result.exit_code, payload


def test_busy_is_exactly_what_the_calendars_say_merged_and_clipped(tmp_path: Path) -> None:
    """Window: Sunday 25 October 2026 (the night summer time ends) and Monday 26, local time."""
    sunday, monday = date(2026, 10, 25), date(2026, 10, 26)
    first = tmp_path / "first.ics"
    first.write_text(
        vcalendar(
            vevent("evening", at(sunday - timedelta(days=1), 22), at(sunday, 0, 30)),  # over the window's start
            vevent("before-the-change", at(sunday, 1), at(sunday, 1, 30)),  # ends where the night event starts
            vevent("review", at(monday, 9, 30), at(monday, 10, 30)),  # overlaps the weekly 09:00-10:00
            vevent("lunch", at(monday, 12), at(monday, 12, 30)),  # touches nothing
            vevent("late", at(monday, 23), at(monday + timedelta(days=1), 1)),  # over the window's end
        ),
        encoding="utf-8",
    )
    second = tmp_path / "second.ics"
    second.write_text(
        vcalendar(
            vevent("inside", at(monday, 9, 15), at(monday, 9, 45)),  # within the weekly meeting
            vevent("follow-up", at(monday, 10, 30), at(monday, 11)),  # starts where "review" ends
            vevent("tuesday", at(monday + timedelta(days=1), 9), at(monday + timedelta(days=1), 10)),  # outside
        ),
        encoding="utf-8",
    )

    code, out = run(
        "--ics", str(CORPUS / "dst_autumn.ics"),  # weekly Mondays 09:00-10:00; Sunday 01:30-03:30 over the change
        "--ics", str(first),
        "--ics", str(second),
        "--start", "2026-10-25",
        "--end", "2026-10-27",
    )  # fmt: skip

    assert code == 0
    assert out["busy"] == [
        {"start": "2026-10-25T00:00:00+02:00", "end": "2026-10-25T00:30:00+02:00"},  # clipped at the start
        {"start": "2026-10-25T01:00:00+02:00", "end": "2026-10-25T03:30:00+01:00"},  # joined across files
        {"start": "2026-10-26T09:00:00+01:00", "end": "2026-10-26T11:00:00+01:00"},  # four events merged
        {"start": "2026-10-26T12:00:00+01:00", "end": "2026-10-26T12:30:00+01:00"},
        {"start": "2026-10-26T23:00:00+01:00", "end": "2026-10-27T00:00:00+01:00"},  # clipped at the end
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
