"""The Danish text itself (pure: no database): the link only with a public address, the
channel sentence for phone and video, the terms the booking keeps, one-line subjects."""

from __future__ import annotations

import uuid
from datetime import timedelta

import icalendar

from services.booking.mail.compose import MAX_SUBJECT, bookings_link, compose
from services.booking.models import Booking, OfferView
from tests.booking.conftest import at
from tests.booking.mail.conftest import MEETING, NOW


def offer(**fields: object) -> OfferView:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "name": "Jobsamtale",
        "channel": "phone",
        "place": None,
        "phone": "70 20 30 40",
        "timezone": "Europe/Copenhagen",
        **fields,
    }
    return OfferView(**values)


def booking(**fields: object) -> Booking:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "reference": "K7M2QX9P",
        "start_at": MEETING,
        "end_at": MEETING + timedelta(minutes=45),
        "created_at": NOW,
        "accept_cancellation": False,
        "rebooking_days_before": None,
        **fields,
    }
    return Booking(**values)


def test_the_link_needs_the_public_address() -> None:
    assert bookings_link("https://booking.example/") == "https://booking.example/mine-moedetilbud/aftaler"
    assert bookings_link("") is None
    text = compose("confirmation", offer(), booking(), now=NOW).body
    assert "mine-moedetilbud" not in text and "Bookingreference: K7M2QX9P" in text


def test_phone_meetings_and_the_bookings_own_terms() -> None:
    text = compose("reminder", offer(), booking(), public_url="https://b.example", now=NOW).body
    assert "Mødeform: Telefonmøde. Du ringer selv til 70 20 30 40 på tidspunktet." in text
    assert "Mødet kan ikke aflyses." in text and "Mødet kan ikke flyttes til en anden tid." in text
    assert "kl. 09.00-09.45" in text and "https://b.example/mine-moedetilbud/aftaler" in text


def test_a_cancellation_states_no_terms_and_attaches_the_withdrawal() -> None:
    mail = compose("cancelled", offer(channel="video"), booking(cancelled_at=NOW), now=NOW)
    assert mail.subject == "Aflyst: Jobsamtale tirsdag 8. december 2026 kl. 09.00"
    assert "Videomøde." in mail.body and "aflyse" not in mail.body.replace("aflyst", "")
    assert mail.calendar is not None and "METHOD:CANCEL" in mail.calendar


def test_a_long_name_makes_a_subject_of_at_most_the_column() -> None:
    mail = compose("confirmation", offer(name="Samtale " * 80), booking(), now=NOW)
    assert len(mail.subject) <= MAX_SUBJECT and "\n" not in mail.subject


def test_meetings_either_side_of_the_october_change_keep_their_danish_time() -> None:
    """Summer time ends on Sunday 25 October 2026 at 03.00: a 09.00 meeting on Saturday is
    07.00 UTC, on Sunday 08.00 UTC; the e-mail and its calendar file both say 09.00 Danish time."""
    for day, utc_hour in ((24, 7), (25, 8)):
        start = at(MEETING.date().replace(month=10, day=day), 9)
        assert start.utcoffset() == timedelta(hours=9 - utc_hour)
        mail = compose("confirmation", offer(), booking(start_at=start, end_at=start + timedelta(minutes=30)), now=NOW)
        weekday = "lørdag" if day == 24 else "søndag"
        assert mail.subject == f"Bekræftelse: Jobsamtale {weekday} {day}. oktober 2026 kl. 09.00"
        assert f"{weekday} {day}. oktober 2026 kl. 09.00-09.30" in mail.body
        assert mail.calendar is not None
        [event] = icalendar.Calendar.from_ical(mail.calendar).walk("VEVENT")
        assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
        assert event["DTSTART"].dt == start and event["DTSTART"].dt.hour == 9
        assert f"DTSTART;TZID=Europe/Copenhagen:202610{day}T090000" in mail.calendar
