"""The corpus of tricky calendars: one file per iCalendar rule the worker must honour.

Each file's expected busy time in Europe/Copenhagen is in tests/corpus/ics/expected.json,
written by hand from RFC 5545, not from the code's output.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.calendar_sync.expansion import CalendarDataError, busy_intervals
from shared.intervals import Interval, merge
from shared.timeutil import local_midnight

CORPUS = Path(__file__).parent.parent / "corpus" / "ics"
EXPECTED = {k: v for k, v in json.loads((CORPUS / "expected.json").read_text()).items() if not k.startswith("_")}
CPH = ZoneInfo("Europe/Copenhagen")


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.ics")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_busy_time_of_corpus_calendar(name: str) -> None:
    case = EXPECTED[name]
    first, last = (date.fromisoformat(d) for d in case["window"])
    window = Interval(local_midnight(first, CPH), local_midnight(last, CPH))
    text = (CORPUS / name).read_text(encoding="utf-8")
    if case.get("error"):
        with pytest.raises(CalendarDataError):
            busy_intervals(text, window, CPH)
        return
    got = merge(busy_intervals(text, window, CPH))
    expected = [Interval(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in case["busy"]]
    assert got == expected
