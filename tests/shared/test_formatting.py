"""The Danish formatting of the citizen's pages (``services.booking.pages.formatting``)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared import formatting as fmt

CPH = ZoneInfo("Europe/Copenhagen")


def test_days_and_dates_are_written_the_danish_way() -> None:
    assert fmt.day_title(date(2026, 12, 1)) == "Tirsdag 1. december"
    assert fmt.day_title(date(2026, 10, 25)) == "Søndag 25. oktober"
    assert fmt.long_date(date(2027, 1, 2)) == "lørdag 2. januar 2027"


def test_times_use_a_full_stop_and_two_digits() -> None:
    start, end = datetime(2026, 12, 1, 9, 0, tzinfo=CPH), datetime(2026, 12, 1, 9, 45, tzinfo=CPH)
    assert fmt.clock(start) == "09.00"
    assert fmt.time_span(start, end) == "09.00-09.45"
    assert fmt.moment(end) == "tirsdag 1. december 2026 kl. 09.45"
    assert fmt.moment(end, "en") == "Tuesday 1 December 2026, 09:45"  # no "kl." on the English pages


def test_durations_name_hours_and_minutes() -> None:
    assert [fmt.duration(m) for m in (1, 45, 60, 90, 120)] == [
        "1 minut", "45 minutter", "1 time", "1 time og 30 minutter", "2 timer",
    ]  # fmt: skip


def test_iso_weeks_round_trip_and_refuse_nonsense() -> None:
    assert fmt.iso_week(date(2026, 12, 9)) == "2026-W50"
    assert fmt.iso_week(date(2027, 1, 1)) == "2026-W53"
    assert fmt.parse_iso_week("2026-W50") == date(2026, 12, 7)
    assert fmt.parse_iso_week("2026-W53") == date(2026, 12, 28)
    for bad in (None, "", "2026-W54", "2026-50", "x2026-W50", "2026-W00", "9999-W52", "1999-W10"):
        assert fmt.parse_iso_week(bad) is None


def test_week_titles_name_the_months_where_they_change() -> None:
    assert fmt.week_title(date(2026, 12, 7)) == "Uge 50: 7.-13. december 2026"
    assert fmt.week_title(date(2026, 10, 26)) == "Uge 44: 26. oktober-1. november 2026"
    assert fmt.week_title(date(2026, 12, 28)) == "Uge 53: 28. december 2026-3. januar 2027"


def test_an_offer_without_times_says_when_there_will_be_some() -> None:
    from services.booking.models import OfferView
    from services.booking.pages.views import next_period

    today = date(2026, 12, 7)
    rolling = OfferView(first_meeting_date=date(2026, 12, 1), end_date=None, rolling_weeks=3)
    assert next_period(rolling, today) == "Der kommer nye tider til hver dag, op til 3 uger frem. Prøv igen i morgen."
    later = OfferView(first_meeting_date=date(2027, 1, 18), end_date=None, rolling_weeks=2)
    assert next_period(later, today) == "Der bliver åbnet for tider mandag 4. januar 2027."
    ended = OfferView(first_meeting_date=date(2026, 11, 1), end_date=date(2026, 12, 7), rolling_weeks=2)
    fixed = OfferView(first_meeting_date=date(2026, 12, 1), end_date=date(2027, 1, 1), rolling_weeks=None)
    assert next_period(ended, today) is None and next_period(fixed, today) is None
