"""The calendar file (.ics) of a booked meeting, for the citizen's own calendar ("Tilføj til
kalender" on the receipt). Pure: no Flask, no database.

Only what the citizen needs to turn up: the offer's name, how the meeting happens, the
place, the booking reference and whom to contact. Never the citizen's CPR number or name:
``booking_ics`` does not take them. The offer's name and place are free text typed by staff,
so anything shaped like a CPR number in them is masked (``redact_cpr``), as in the advisor's
event (``services.calendar_sync.meeting_event``).

The times are written in the offer's zone (``TZID``) with its ``VTIMEZONE``, so the meeting
stays at the agreed local time in any client.

A cancelled booking has its own file (``booking_cancel_ics``, attached to the cancellation
e-mail): ``METHOD:CANCEL``, ``STATUS:CANCELLED``, the same UID and a higher ``SEQUENCE``, so a
client that imported the booking removes or strikes out that very event.
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


PUBLISHED_SEQUENCE = 0
CANCELLED_SEQUENCE = 1


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
    return _calendar(
        method="PUBLISH",
        status="CONFIRMED",
        sequence=PUBLISHED_SEQUENCE,
        booking_id=booking_id,
        reference=reference,
        offer_name=offer_name,
        channel=channel,
        channel_text=channel_text,
        place=place,
        start=start,
        end=end,
        stamp=created,
        timezone=timezone,
    )


def booking_cancel_ics(
    *,
    booking_id: uuid.UUID | str,
    reference: str,
    offer_name: str,
    channel: str,
    channel_text: str,
    place: str | None,
    start: datetime,
    end: datetime,
    cancelled: datetime,
    timezone: str = "Europe/Copenhagen",
) -> str:
    """The iCalendar text that withdraws a booking's file: ``METHOD:CANCEL``,
    ``STATUS:CANCELLED``, the UID of ``booking_ics`` for the same ``booking_id`` and a higher
    ``SEQUENCE``; ``cancelled`` (aware) becomes ``DTSTAMP`` in UTC. The other arguments are
    those of ``booking_ics``: the event still says which meeting it was."""
    return _calendar(
        method="CANCEL",
        status="CANCELLED",
        sequence=CANCELLED_SEQUENCE,
        booking_id=booking_id,
        reference=reference,
        offer_name=offer_name,
        channel=channel,
        channel_text=channel_text,
        place=place,
        start=start,
        end=end,
        stamp=cancelled,
        timezone=timezone,
    )


def _calendar(
    *,
    method: str,
    status: str,
    sequence: int,
    booking_id: uuid.UUID | str,
    reference: str,
    offer_name: str,
    channel: str,
    channel_text: str,
    place: str | None,
    start: datetime,
    end: datetime,
    stamp: datetime,
    timezone: str,
) -> str:
    tz = ZoneInfo(timezone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
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
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("sequence", sequence)
    event.add("dtstart", local_start)
    event.add("dtend", local_end)
    event.add("summary", redact_cpr(offer_name))
    event.add("description", booking_description(channel_text, reference))
    if channel == "in_person" and place:
        event.add("location", redact_cpr(place))
    event.add("status", status)
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
