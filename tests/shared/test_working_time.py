"""Working time: holidays, the centre's optional and local closing days, exceptions."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from shared.availability import parse_weekly_hours
from shared.working_time import ClosingPolicy, closed_days, working_time

CPH = ZoneInfo("Europe/Copenhagen")
HOURS = parse_weekly_hours({d: [["08:00", "12:00"], ["12:30", "15:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})


def test_danish_public_holidays_and_default_optional_days_are_closed() -> None:
    days = closed_days(ClosingPolicy(), date(2026, 1, 1), date(2027, 1, 1))
    for expected in (
        "2026-04-02",
        "2026-04-03",
        "2026-04-06",
        "2026-05-14",
        "2026-05-25",
        "2026-06-05",
        "2026-12-24",
        "2026-12-25",
        "2026-12-26",
        "2026-12-31",
        "2026-01-01",
    ):
        assert date.fromisoformat(expected) in days, expected
    assert date(2026, 5, 1) not in days  # 1 May is a working day unless the centre closes it
    assert date(2026, 5, 8) not in days  # Store bededag was abolished from 2024
    assert days[date(2026, 6, 5)] == "Grundlovsdag"


def test_a_centre_that_stays_open_on_5_june_and_has_its_own_closing_day() -> None:
    policy = ClosingPolicy(
        closed_optional_days=frozenset({"christmas_eve", "new_years_eve"}),
        local_closing_days=frozenset({date(2026, 8, 14)}),
    )
    days = closed_days(policy, date(2026, 6, 1), date(2026, 9, 1))
    assert date(2026, 6, 5) not in days and days[date(2026, 8, 14)] == "Lukkedag"
    with pytest.raises(ValueError):
        ClosingPolicy(closed_optional_days=frozenset({"midsummer"}))


def test_exceptions_replace_a_day_and_closed_days_remove_it() -> None:
    week = working_time(
        HOURS,
        date(2026, 12, 21),
        date(2026, 12, 28),
        CPH,
        exceptions={date(2026, 12, 22): [(time(9), time(11))], date(2026, 12, 23): []},
        closed=closed_days(ClosingPolicy(), date(2026, 12, 21), date(2026, 12, 28)),
    )
    by_day: dict[date, list[str]] = {}
    for piece in week:
        start, end = piece.start.astimezone(CPH), piece.end.astimezone(CPH)
        by_day.setdefault(start.date(), []).append(f"{start:%H:%M}-{end:%H:%M}")
    assert by_day == {date(2026, 12, 21): ["08:00-12:00", "12:30-15:00"], date(2026, 12, 22): ["09:00-11:00"]}


def test_date_exceptions_are_read_and_checked() -> None:
    from shared.working_time import parse_day_exceptions

    parsed = parse_day_exceptions({"2026-12-23": [], "2026-12-22": [["12:00", "14:00"], ["09:00", "11:00"]]})
    assert parsed == {date(2026, 12, 23): [], date(2026, 12, 22): [(time(9), time(11)), (time(12), time(14))]}
    for bad in (
        {"23-12-2026": []},
        {"2026-12-22": [["11:00", "09:00"]]},
        {"2026-12-22": [["09:00", "12:00"], ["11:00", "13:00"]]},
    ):
        with pytest.raises(ValueError):
            parse_day_exceptions(bad)
