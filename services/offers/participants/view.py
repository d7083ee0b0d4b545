"""The participant section of an offer page, and the participant list of a group meeting's
page: asked of booking, each CPR number shown in full logged first with the person who sees
it (``cpr_access_log``), the rest masked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext

from services.offers.models import CprAccessLog
from services.offers.participants.booking_api import BookedCitizen, BookingApi, ParticipantsUnavailable
from services.offers.participants.weeks import Bar, chart_bars, weekly_seats
from shared import formatting as fmt
from shared.audit import log_cpr_accesses
from shared.auth.access import Action
from shared.auth.web import current_actor, current_route, may_at
from shared.cpr import Cpr, InvalidCpr, parse_cpr
from shared.i18n import N_
from shared.pages import page_locale
from shared.service import ServiceContext
from shared.timeutil import zone

BOOKING_API = "offers.booking_api"
SEARCH_MAX = 200
TOO_LONG = N_("Skriv højst 200 tegn.")


@dataclass
class ParticipantSection:
    """``state``: "shown", "hidden" (no right to see participants), "off" (no booking API
    set up) or "unavailable" (booking did not answer)."""

    state: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    search: str = ""
    error: str | None = None
    weeks: list[dict[str, Any]] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    chart_height: int = 0
    offered: bool = True
    after_end: list[dict[str, Any]] = field(default_factory=list)


def booking_api() -> BookingApi | None:
    return current_app.extensions.get(BOOKING_API)  # type: ignore[no-any-return]


def may_see_participants(job_centre_code: str) -> bool:
    return may_at(Action.READ_PARTICIPANTS, job_centre_code)


def searched_cpr(search: str | None) -> Cpr | None:
    try:
        return parse_cpr(search) if search else None
    except InvalidCpr:
        return None


def log_shown(purpose: str, numbers: list[Cpr]) -> None:
    """Log that the person calling saw (or searched for) these CPR numbers, before they do."""
    context: ServiceContext = current_app.extensions["planner"]
    accesses = [(purpose, cpr) for cpr in numbers]
    log_cpr_accesses(context.db, CprAccessLog, actor=current_actor(), accesses=accesses, route=current_route())


def _row(citizen: BookedCitizen, timezone: str) -> dict[str, Any]:
    locale = page_locale()
    start, end = citizen.start.astimezone(zone(timezone)), citizen.end.astimezone(zone(timezone))
    shown = f"{citizen.cpr.digits[:6]}-{citizen.cpr.digits[6:]}" if citizen.cpr else None
    return {
        "booking_id": citizen.booking_id,
        "name": citizen.name or "–",
        "cpr": shown or citizen.cpr_masked,
        "revealed": shown is not None,
        "contact_group": citizen.contact_group or "–",
        "age": citizen.age,
        "deadline": fmt.long_date(citizen.booking_deadline, locale) if citizen.booking_deadline else "–",
        "when": fmt.when(start, end, locale),
        "day": start.date(),
        "reference": citizen.reference,
    }


def _not_listed(job_centre_code: str) -> ParticipantSection | None:
    """The section when it lists nobody: "hidden" without the right, "off" without booking's API."""
    if not may_see_participants(job_centre_code):
        return ParticipantSection("hidden")
    if booking_api() is None:
        return ParticipantSection("off")
    return None


def _listed(
    api: BookingApi, offer_id: uuid.UUID, timezone: str, *, search: str = "", **query: Any
) -> tuple[ParticipantSection, list[BookedCitizen]]:
    """The section with the participants booking gives for ``search`` and ``query``, each
    full CPR number logged as shown first; "unavailable" when booking does not answer."""
    try:
        found = api.participants(offer_id, search=search or None, **query)
    except ParticipantsUnavailable:
        return ParticipantSection("unavailable", search=search), []
    log_shown("participant_shown", [c.cpr for c in found if c.cpr is not None])
    return ParticipantSection("shown", [_row(c, timezone) for c in found], search), found


def participant_section(
    offer_id: uuid.UUID,
    job_centre_code: str,
    timezone: str,
    *,
    search: str = "",
    reveal: uuid.UUID | None = None,
    end_date: date | None = None,
) -> ParticipantSection:
    """The section for the offer ``offer_id``: its participants found by ``search`` (a name or CPR number),
    with the CPR number of booking ``reveal`` in full."""
    closed = _not_listed(job_centre_code)
    if closed is not None:
        return closed
    api = booking_api()
    assert api is not None
    search = search.strip()
    if len(search) > SEARCH_MAX:
        return ParticipantSection("shown", search=search[:SEARCH_MAX], error=TOO_LONG)
    cpr = searched_cpr(search)
    if cpr is not None:
        log_shown("participant_search", [cpr])
    section, found = _listed(api, offer_id, timezone, search=search, reveal=[reveal] if reveal else ())
    if section.state != "shown":
        return section
    if end_date is not None:  # V-6: bookings a later end date left outside the offer, kept for staff to handle
        section.after_end = [row for row in section.rows if row["day"] > end_date]
    try:
        everyone = api.participants(offer_id) if search else found
        free = api.free_times(offer_id)
    except ParticipantsUnavailable:
        return section
    _add_weeks(section, free, everyone, timezone)
    return section


def meeting_section(
    offer_id: uuid.UUID, meeting_id: uuid.UUID, job_centre_code: str, timezone: str, *, reveal: uuid.UUID | None = None
) -> ParticipantSection:
    """The participants of one meeting of a group offer (V-7): the citizens with a seat, with
    the CPR number of booking ``reveal`` in full; the same states as ``participant_section``."""
    closed = _not_listed(job_centre_code)
    if closed is not None:
        return closed
    api = booking_api()
    assert api is not None
    return _listed(api, offer_id, timezone, meeting_id=meeting_id, reveal=[reveal] if reveal else ())[0]


@dataclass
class WaitingSection:
    """A group meeting's waiting list on its page; ``state`` as ``ParticipantSection``'s."""

    state: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def waiting_section(offer_id: uuid.UUID, meeting_id: uuid.UUID, job_centre_code: str, timezone: str) -> WaitingSection:
    """Who waits for a seat at the meeting (afventerliste), in line: the one a freed seat is
    held for first (until when), then by their place. CPR numbers are masked only."""
    closed = _not_listed(job_centre_code)
    if closed is not None:
        return WaitingSection(closed.state)
    api = booking_api()
    assert api is not None
    try:
        found = api.waiting_list(offer_id, meeting_id)
    except ParticipantsUnavailable:
        return WaitingSection("unavailable")
    locale, tz = page_locale(), zone(timezone)
    rows = []
    for citizen in found:
        until = citizen.offer_expires_at.astimezone(tz) if citizen.offer_expires_at else None
        state = gettext("Venter")
        if until is not None:
            state = gettext("Tilbudt en plads til %(until)s", until=fmt.moment(until, locale))
        rows.append({
            "place": citizen.position or "–", "name": citizen.name or "–", "cpr": citizen.cpr_masked,
            "email": citizen.email, "state": state,
            "joined": fmt.long_date(citizen.joined_at.astimezone(tz).date(), locale),
        })  # fmt: skip
    return WaitingSection("shown", rows)


def _add_weeks(section: ParticipantSection, free: list[datetime] | None, booked: list[BookedCitizen], tz: str) -> None:
    """The free and booked times per ISO week, as a table and as the chart's bars."""
    locale = page_locale()
    weeks = weekly_seats(free or [], [c.start for c in booked], zone(tz))
    section.offered = free is not None
    section.weeks = [
        {"title": fmt.week_title(w.monday, locale), "total": w.total, "booked": w.booked, "free": w.free} for w in weeks
    ]
    label = gettext("Uge {week}")
    value = gettext("{booked} booket, {free} ledige")
    section.bars, section.chart_height = chart_bars(weeks, label, value)
