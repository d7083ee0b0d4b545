"""Events and calendar data for the calendar-sync tests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.calendar_sync.caldav_http import RequestLimits
from shared import events as ev
from shared.events import Envelope
from shared.network_policy import allow_list
from shared.secrets import encrypt_calendar_password
from shared.working_time import ClosingPolicy, closed_days

CPH = ZoneInfo("Europe/Copenhagen")
WORKING_HOURS = {d: [["08:00", "12:00"], ["12:30", "15:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}
STAMP = "%Y%m%dT%H%M%S"
LOOPBACK_LIMITS = RequestLimits(timeout=5, allow=allow_list("127.0.0.1"))
"""Calendar requests to the test servers on loopback (allow-listed, as the settings do)."""


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=CPH)


def local_hhmm(instants: list[datetime], day: date) -> list[str]:
    """The local wall-clock times (HH:MM) of those ``instants`` that fall on ``day``."""
    return [i.astimezone(CPH).strftime("%H:%M") for i in instants if i.astimezone(CPH).date() == day]


def vcalendar(*vevents: str) -> str:
    body = "".join(vevents)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//planner tests//EN\r\n{body}END:VCALENDAR\r\n"


def vevent(uid: str, start: datetime | date, end: datetime | date | None, extra: str = "") -> str:
    """One VEVENT; datetimes in Europe/Copenhagen with TZID, dates as all-day values."""

    def prop(name: str, value: datetime | date) -> str:
        if isinstance(value, datetime):
            return f"{name};TZID=Europe/Copenhagen:{value.astimezone(CPH).strftime(STAMP)}\r\n"
        return f"{name};VALUE=DATE:{value:%Y%m%d}\r\n"

    dtend = prop("DTEND", end) if end is not None else ""
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{prop('DTSTART', start)}{dtend}"
        f"SUMMARY:{uid}\r\n{extra}END:VEVENT\r\n"
    )


def event_ics(uid: str, start: datetime | date, end: datetime | date | None, extra: str = "") -> str:
    return vcalendar(vevent(uid, start, end, extra))


def advisor_changed(
    advisor_id: str,
    *,
    caldav_url: str | None,
    username: str | None = "anne",
    password: str | None = "anne-secret",
    secret_keys: str,
    working_hours: dict[str, list[list[str]]] | None = None,
    closed_days: list[date] | None = None,
    working_exceptions: dict[str, list[list[str]]] | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    payload = ev.AdvisorCalendarPayload(
        advisor_id=advisor_id,
        job_centre_code="10101",
        name=f"Rådgiver {advisor_id[:6]}",
        timezone="Europe/Copenhagen",
        caldav_url=caldav_url,
        caldav_username=username,
        caldav_password_encrypted=(
            encrypt_calendar_password(password, secret_keys, advisor_id=advisor_id, url=caldav_url)
            if password
            else None
        ),
        working_hours=working_hours or WORKING_HOURS,
        closed_days=closed_days or [],
        working_exceptions=working_exceptions or {},
    )
    envelope = payload.envelope(ev.ADVISOR_CHANGED)
    if occurred_at is None:
        return envelope
    return Envelope(type=envelope.type, payload=envelope.payload, occurred_at=occurred_at)


def offer_payload(offer_id: str, advisor_ids: list[str], **overrides: Any) -> ev.OfferPayload:
    data: dict[str, Any] = {
        "offer_id": offer_id,
        "job_centre_code": "10101",
        "name": "Jobsamtale",
        "description": "Samtale om job.",
        "conversation_type": 7,
        "variant": None,
        "meeting_form": "individual",
        "channel": "in_person",
        "place": "Torvet 1, 9999 Demokøbing",
        "phone": None,
        "duration_minutes": 30,
        "reporting_minutes": 15,
        "start_minutes": [0, 30],
        "first_meeting_date": date(2026, 1, 1),
        "end_date": None,
        "rolling_weeks": None,
        "opens_on": date(2026, 1, 1),
        "timezone": "Europe/Copenhagen",
        "advisor_ids": advisor_ids,
        "citizen_may_choose_advisor": True,
        "accept_cancellation": True,
        "rebooking_days_before": None,
        "active": True,
        "changed_at": datetime.now(UTC),
    }
    data.update(overrides)
    return ev.OfferPayload.model_validate(data)


def offer_published(offer_id: str, advisor_ids: list[str], **overrides: Any) -> Envelope:
    return offer_payload(offer_id, advisor_ids, **overrides).envelope(ev.OFFER_PUBLISHED)


def booking_payload(
    advisor_id: str, offer_id: str, start: datetime, *, minutes: int = 30, reporting: int = 15, **overrides: Any
) -> ev.BookingPayload:
    data: dict[str, Any] = {
        "booking_id": f"b{uuid.uuid4().hex[:12]}",
        "reference": "BK-7QX2",
        "offer_id": offer_id,
        "offer_name": "Jobsamtale",
        "advisor_id": advisor_id,
        "channel": "in_person",
        "place": "Torvet 1, 9999 Demokøbing",
        "phone": None,
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "occupied_until": start + timedelta(minutes=minutes + reporting),
    }
    data.update(overrides)
    return ev.BookingPayload.model_validate(data)


def new_id() -> str:
    return str(uuid.uuid4())


def working_day_ahead(today: date, at_least_days: int = 2) -> date:
    """The first weekday at least ``at_least_days`` after ``today`` that is no holiday."""
    day = today + timedelta(days=at_least_days)
    shut = closed_days(ClosingPolicy(), day, day + timedelta(days=30))
    while day.weekday() >= 5 or day in shut:
        day += timedelta(days=1)
    return day
