"""The VEVENT of a booked meeting, as it is written into the advisor's calendar (B-5). Pure.

Only what the advisor needs to hold the meeting: the offer's name, the channel in Danish,
the place or phone number, and the booking reference. Never the citizen's CPR number or
name: ``BookingPayload`` does not even carry them. The offer's name, place and phone are
free text typed by staff (an offer made for one citizen may be named after them), so
anything shaped like a CPR number in them is masked (``redact_cpr``), as in every log line.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import icalendar

from shared.events import BookingPayload
from shared.logs import redact_cpr

PRODID = "-//jobcenter-planner//calendar-sync//DA"

CHANNEL_TEXT = {
    "video": "Digitalt møde (video)",
    "in_person": "Personligt fremmøde",
    "phone": "Telefonmøde",
}


def meeting_uid(booking_id: str) -> str:
    """The UID of a booking's event; stable, so writing it again changes nothing."""
    return f"booking-{booking_id}@jobcenter-planner"


def meeting_description(booking: BookingPayload) -> str:
    if booking.group_seats is not None:
        return _group_description(booking)
    lines = [f"Afholdelsesform: {CHANNEL_TEXT[booking.channel]}"]
    if booking.place:
        lines.append(f"Sted: {booking.place}")
    if booking.channel == "phone" and booking.caller == "advisor":
        lines.append("Vejlederen ringer til borgeren (find borgeren på deltagerlisten via bookingreferencen).")
    elif booking.channel == "phone" and booking.caller == "citizen":
        lines.append("Borgeren ringer til nummeret.")
    if booking.phone:
        lines.append(f"Telefon: {booking.phone}")
    lines.append(f"Bookingreference: {booking.reference}")
    lines.append("Booket af borgeren via selvbooking (jobcenter-planner).")
    return redact_cpr("\n".join(lines))


def _group_description(meeting: BookingPayload) -> str:
    """A group meeting's text: how many have booked, never who (the staff's offer page lists them)."""
    lines = [f"Fællesmøde. Afholdelsesform: {CHANNEL_TEXT[meeting.channel]}"]
    if meeting.place:
        lines.append(f"Sted: {meeting.place}")
    lines.append(f"Booket: {meeting.group_taken or 0} af {meeting.group_seats} pladser")
    lines.append("Deltagerne står på tilbuddets side i jobcenter-planner.")
    return redact_cpr("\n".join(lines))


def event_digest(payload: dict[str, Any]) -> str:
    """What the meeting's event says, as a digest of its payload (the moment a seat count was
    announced aside): equal digests write equal events, so a write may be skipped."""
    shown = {key: value for key, value in payload.items() if key != "group_taken_at"}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()


def meeting_event(booking: BookingPayload, *, stamp: datetime) -> str:
    """The iCalendar text (one VCALENDAR with one VEVENT) of ``booking``.

    Times are written in UTC, so every client shows them in its own zone. The event is
    OPAQUE: the advisor is busy. Reporting time is not part of the event; the worker
    counts it from its own record of the booking.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", meeting_uid(booking.booking_id))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", booking.start.astimezone(UTC))
    event.add("dtend", booking.end.astimezone(UTC))
    event.add("summary", redact_cpr(booking.offer_name))
    event.add("description", meeting_description(booking))
    if booking.channel == "in_person" and booking.place:
        event.add("location", redact_cpr(booking.place))
    event.add("transp", "OPAQUE")
    event.add("status", "CONFIRMED")
    event.add("class", "PRIVATE")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
