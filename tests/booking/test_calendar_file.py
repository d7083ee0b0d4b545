"""The citizen's calendar file of a booked meeting (``services.booking.calendar_file``). Pure."""

from __future__ import annotations

import inspect
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from services.booking.calendar_file import booking_cancel_ics, booking_ics
from services.calendar_sync.expansion import OWN_UID_SUFFIX
from services.calendar_sync.meeting_event import meeting_uid

CPH = ZoneInfo("Europe/Copenhagen")
BOOKING_ID = uuid.UUID("12345678-0000-4000-8000-000000000001")
CPR_DIGITS = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


def ics(start: datetime, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "booking_id": BOOKING_ID,
        "reference": "K7M2QX9P",
        "offer_name": "Jobsamtale",
        "channel": "in_person",
        "channel_text": "Fremmøde på Jobcentret, Rådhuspladsen 1.",
        "place": "Jobcentret, Rådhuspladsen 1",
        "start": start,
        "end": start + timedelta(minutes=30),
        "created": datetime(2026, 10, 1, 12, 0, tzinfo=UTC),
    }
    return booking_ics(**(values | overrides))


def event_of(text: str) -> icalendar.Event:
    [event] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    return event


def test_the_file_is_a_published_calendar_with_one_zone_and_one_event() -> None:
    calendar = icalendar.Calendar.from_ical(ics(datetime(2026, 12, 10, 10, tzinfo=CPH)))
    assert str(calendar["METHOD"]) == "PUBLISH" and str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//jobcenter-planner//booking//DA"
    [timezone] = calendar.walk("VTIMEZONE")
    [event] = calendar.walk("VEVENT")
    assert str(timezone["TZID"]) == event["DTSTART"].params["TZID"] == event["DTEND"].params["TZID"]
    assert str(timezone["TZID"]) == "Europe/Copenhagen"
    assert str(event["SUMMARY"]) == "Jobsamtale"
    assert str(event["LOCATION"]) == "Jobcentret, Rådhuspladsen 1"
    assert event["DTSTAMP"].dt == datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    description = str(event["DESCRIPTION"])
    assert "Fremmøde på Jobcentret, Rådhuspladsen 1." in description
    assert "Bookingreference: K7M2QX9P" in description
    assert "Skal du flytte eller aflyse mødet, så kontakt dit jobcenter." in description


def test_times_either_side_of_the_october_change_are_the_right_instants() -> None:
    monday = event_of(ics(datetime(2026, 10, 26, 9, tzinfo=CPH)))  # winter time
    friday = event_of(ics(datetime(2026, 10, 23, 9, tzinfo=CPH)))  # summer time
    assert monday["DTSTART"].dt.astimezone(UTC) == datetime(2026, 10, 26, 8, tzinfo=UTC)
    assert friday["DTSTART"].dt.astimezone(UTC) == datetime(2026, 10, 23, 7, tzinfo=UTC)
    assert monday["DTSTART"].to_ical() == b"20261026T090000"
    assert friday["DTEND"].dt.astimezone(UTC) == datetime(2026, 10, 23, 7, 30, tzinfo=UTC)


def test_the_uid_is_stable_and_not_the_advisors() -> None:
    first = event_of(ics(datetime(2026, 12, 10, 10, tzinfo=CPH)))
    again = event_of(ics(datetime(2026, 12, 17, 10, tzinfo=CPH), reference="OTHER123"))
    assert str(first["UID"]) == str(again["UID"]) == f"booking-{BOOKING_ID}@jobcenter-planner-citizen"
    assert str(first["UID"]) != meeting_uid(str(BOOKING_ID))
    assert not str(first["UID"]).endswith(OWN_UID_SUFFIX)  # the worker does not take it for its own


def test_no_cpr_number_is_in_the_file() -> None:
    parameters = set(inspect.signature(booking_ics).parameters)
    assert not any("cpr" in p or "citizen" in p for p in parameters)  # it cannot even be given one
    text = ics(
        datetime(2026, 12, 10, 10, tzinfo=CPH),
        offer_name="Samtale med 150289-3427",  # staff's free text, shaped like a CPR number
        place="Mødelokale 1502893427",
    )
    unfolded = text.replace("\r\n ", "")
    assert CPR_DIGITS.search(unfolded) is None, unfolded


def test_video_and_phone_meetings_have_no_location() -> None:
    start = datetime(2026, 12, 10, 10, tzinfo=CPH)
    video = event_of(ics(start, channel="video", channel_text="Videomøde. Du får et link til mødet.", place="x"))
    assert "LOCATION" not in video and str(video["DESCRIPTION"]).startswith("Videomøde.")


def test_long_lines_are_folded() -> None:
    name = " ".join(["Jobsamtale på Rådhuspladsen"] * 6)
    text = ics(datetime(2026, 12, 10, 10, tzinfo=CPH), offer_name=name)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert str(event_of(text)["SUMMARY"]) == name


def test_the_cancellation_withdraws_the_same_event() -> None:
    start = datetime(2026, 12, 10, 10, tzinfo=CPH)
    published = icalendar.Calendar.from_ical(ics(start))
    values = {
        "booking_id": BOOKING_ID,
        "reference": "K7M2QX9P",
        "offer_name": "Samtale med 150289-3427",
        "channel": "in_person",
        "channel_text": "Fremmøde på Jobcentret, Rådhuspladsen 1.",
        "place": "Jobcentret, Rådhuspladsen 1",
        "start": start,
        "end": start + timedelta(minutes=30),
        "cancelled": datetime(2026, 12, 3, 8, 15, tzinfo=UTC),
    }
    text = booking_cancel_ics(**values)
    cancelled = icalendar.Calendar.from_ical(text)
    [event] = cancelled.walk("VEVENT")
    [original] = published.walk("VEVENT")
    assert str(cancelled["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == str(original["UID"])
    assert int(event["SEQUENCE"]) > int(original["SEQUENCE"])
    assert event["DTSTART"].dt == start and event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert event["DTSTAMP"].dt == datetime(2026, 12, 3, 8, 15, tzinfo=UTC)
    assert CPR_DIGITS.search(text.replace("\r\n ", "")) is None
