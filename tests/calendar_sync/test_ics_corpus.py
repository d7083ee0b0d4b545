"""The corpus of tricky calendars: one file per iCalendar rule the worker must honour.

Each file's expected busy time in Europe/Copenhagen is in tests/corpus/ics/expected.json,
written by hand from RFC 5545, not from the code's output; its "how" says how. One case is
not RFC 5545 alone: x_wr_timezone.ics follows Google's X-WR-TIMEZONE convention, as the
x-wr-timezone package implements it (RFC 5545 would repeat its UTC times in UTC).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.calendar_sync.expansion import CalendarDataError, busy_intervals
from shared.intervals import Interval, merge
from shared.timeutil import local_midnight

ROOT = Path(__file__).parents[2]
CORPUS = ROOT / "tests" / "corpus" / "ics"
EXPECTED = {k: v for k, v in json.loads((CORPUS / "expected.json").read_text()).items() if not k.startswith("_")}
CPH = ZoneInfo("Europe/Copenhagen")


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.ics")) == sorted(EXPECTED)


def _window(name: str) -> Interval:
    first, last = (date.fromisoformat(d) for d in EXPECTED[name]["window"])
    return Interval(local_midnight(first, CPH), local_midnight(last, CPH))


def _busy(name: str) -> list[Interval]:
    return merge(busy_intervals((CORPUS / name).read_text(encoding="utf-8"), _window(name), CPH))


def _expected_busy(name: str) -> list[Interval]:
    return [Interval(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in EXPECTED[name]["busy"]]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_busy_time_of_corpus_calendar(name: str) -> None:
    if EXPECTED[name].get("error"):
        with pytest.raises(CalendarDataError):
            _busy(name)
        return
    assert _busy(name) == _expected_busy(name)


SAME_TZID = [
    ("custom_vtimezone.ics", "custom_vtimezone_other_rules.ics"),  # one TZID, two definitions
    ("windows_zone_own_vtimezone.ics", "windows_zone.ics"),  # a Windows name with a definition, and without
]
READ_IN_ORDER = """
import json, sys
from tests.calendar_sync.test_ics_corpus import _busy
print(json.dumps([[[i.start.isoformat(), i.end.isoformat()] for i in _busy(name)] for name in sys.argv[1:]]))
"""


@pytest.mark.parametrize(
    "names", [pair for first, second in SAME_TZID for pair in ((first, second), (second, first))], ids="-then-".join
)
def test_a_calendar_reads_the_same_whichever_calendar_the_worker_read_before(names: tuple[str, str]) -> None:
    """One worker process reads every advisor's calendars, and icalendar keeps zones by TZID
    for the whole process: each calendar must still read as its expectation says when read
    after the other. Each order runs in a fresh interpreter, as a worker starts."""
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_ORDER, *names], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    for name, busy in zip(names, json.loads(done.stdout), strict=True):
        got = [Interval(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in busy]
        assert got == _expected_busy(name), f"{name}, read after {names[0]}" if name == names[1] else name
