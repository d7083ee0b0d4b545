"""The calendar file (.ics) of a booked meeting, for the citizen's own calendar ("Tilføj til
kalender" on the receipt). Pure: no Flask, no database.

Only what the citizen needs to turn up: the offer's name, how the meeting happens, the
place, the booking reference and whom to contact. Never the citizen's CPR number or name:
``booking_ics`` does not take them. The offer's name and place are free text typed by staff,
so anything shaped like a CPR number in them is masked (``redact_cpr``), as in the advisor's
event (``services.calendar_sync.meeting_event``).

The times are written in the offer's zone (``TZID``) with its ``VTIMEZONE``, so the meeting
stays at the agreed local time in any client.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import icalendar

from shared.logs import redact_cpr

PRODID = "-//jobcenter-planner//booking//DA"
CONTACT = "Skal du flytte eller aflyse mødet, så kontakt dit jobcenter."
UID_SUFFIX = "@jobcenter-planner-citizen"


def citizen_uid(booking_id: uuid.UUID | str) -> str:
    """The UID of the citizen's copy of a booking; stable, so importing it again updates it.

    It differs from the advisor's event (``meeting_uid``: ``booking-<id>@jobcenter-planner``)
    on purpose: the calendar worker treats UIDs ending in ``@jobcenter-planner`` as its own
    meetings and skips them when it reads busy times (``expansion.OWN_UID_SUFFIX``). A
    citizen who imports this file into a calendar on the same server therefore neither
    overwrites nor shadows the advisor's event, and is not mistaken for one the worker wrote.
    """
    return f"booking-{booking_id}{UID_SUFFIX}"


def booking_description(channel_text: str, reference: str) -> str:
    """How the meeting happens (the receipt's "Mødeform"), the reference and whom to contact."""
    return redact_cpr("\n".join([channel_text, f"Bookingreference: {reference}", CONTACT]))


def booking_ics(
    *,
    booking_id: uuid.UUID | str,
    reference: str,
    offer_name: str,
    channel: str,
    channel_text: str,
    place: str | None,
    start: datetime,
    end: datetime,
    created: datetime,
    timezone: str = "Europe/Copenhagen",
) -> str:
    """The iCalendar text (``METHOD:PUBLISH``, one ``VTIMEZONE``, one ``VEVENT``) of a booking.

    ``channel`` is the offer's channel (``in_person``, ``video``, ``phone``); ``LOCATION``
    is written for in-person meetings with a place. ``start``, ``end`` and ``created`` are
    aware datetimes; ``created`` becomes ``DTSTAMP`` in UTC.
    """
    tz = ZoneInfo(timezone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(
        icalendar.Timezone.from_tzinfo(
            tz,
            tzid=timezone,
            first_date=date(local_start.year, 1, 1),
            last_date=date(local_end.year + 1, 1, 1),
        )
    )
    event = icalendar.Event()
    event.add("uid", citizen_uid(booking_id))
    event.add("dtstamp", created.astimezone(UTC))
    event.add("dtstart", local_start)
    event.add("dtend", local_end)
    event.add("summary", redact_cpr(offer_name))
    event.add("description", booking_description(channel_text, reference))
    if channel == "in_person" and place:
        event.add("location", redact_cpr(place))
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
