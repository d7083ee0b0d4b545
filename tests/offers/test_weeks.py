"""Free and booked times per ISO week, counted in the job centre's zone, and the chart's bars."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.offers.participants.weeks import CHART_WIDTH, LABEL_WIDTH, VALUE_WIDTH, chart_bars, weekly_seats

CPH = ZoneInfo("Europe/Copenhagen")


def test_a_sunday_evening_is_counted_in_its_danish_week() -> None:
    sunday_late = datetime(2026, 12, 13, 23, 30, tzinfo=CPH)  # Monday 00:30 would be week 51
    monday = datetime(2026, 12, 14, 9, tzinfo=CPH)
    assert sunday_late.astimezone(UTC).isocalendar()[1] == 50
    weeks = weekly_seats([sunday_late, monday], [monday.astimezone(UTC)], CPH)
    assert [(w.week, w.booked, w.free, w.total) for w in weeks] == [(50, 0, 1, 1), (51, 1, 1, 2)]
    assert weeks[1].monday.isoformat() == "2026-12-14"


def test_a_week_across_new_year_keeps_its_iso_year() -> None:
    [week] = weekly_seats([datetime(2027, 1, 1, 10, tzinfo=CPH)], [], CPH)
    assert (week.year, week.week, week.monday.isoformat()) == (2026, 53, "2026-12-28")


def test_the_longest_bar_fills_the_room_and_the_rest_scale() -> None:
    weeks = weekly_seats(
        [datetime(2026, 12, 9, h, tzinfo=CPH) for h in (9, 10)], [datetime(2026, 12, 16, 9, tzinfo=CPH)], CPH
    )
    bars, height = chart_bars(weeks, "Uge {week}", "{booked} booket, {free} ledige")
    room = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    assert [b.label for b in bars] == ["Uge 50", "Uge 51"] and height == 80
    assert bars[0].free_width == room and bars[1].booked_width == room / 2
    assert bars[1].value == "1 booket, 0 ledige"
    assert chart_bars([], "Uge {week}", "")[0] == []
