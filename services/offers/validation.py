"""Field checks of the offers service, with Danish messages for the staff member.

``Problems`` collects every field problem of one request and raises them together as one
``ValidationFailed`` (422) whose ``extra["errors"]`` maps each field to its messages.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.eligibility import Problem
from shared.errors import ValidationFailed
from shared.i18n import N_
from shared.network_policy import CalendarUrlRefused
from shared.working_time import WEEKDAYS, parse_day_exceptions, parse_weekly_hours, weekly_hours_to_json

GENERAL = "Oplysningerne er ikke gyldige. Ret felterne i 'errors' og prøv igen."
REQUIRED = "Feltet skal udfyldes."
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters other than tab and line breaks: never meant, and PostgreSQL refuses NUL."""
LARGEST_INTEGER = 2**31 - 1
"""The largest value of an integer column."""


LABELS = {
    "code": N_("Jobcenterkode"),
    "name": N_("Navn"),
    "timezone": N_("Tidszone"),
    "parent_id": N_("Overordnet jobcenter"),
    "day": N_("Lukkedag"),
    "reason": N_("Årsag"),
    "job_centre_id": N_("Jobcenter"),
    "phone": N_("Telefonnummer"),
    "address": N_("Adresse"),
    "capacity": N_("Antal pladser"),
    "email": N_("E-mail"),
    "working_hours": N_("Arbejdstid"),
    "caldav_url": N_("Kalenderadresse"),
    "caldav_username": N_("Kalenderbrugernavn"),
    "caldav_password": N_("Kalenderadgangskode"),
    "team_ids": N_("Teams"),
    "description": N_("Beskrivelse"),
    "conversation_type": N_("Samtaletype"),
    "variant": N_("Samtaletypevariant"),
    "meeting_form": N_("Mødeform"),
    "channel": N_("Afholdelsesform"),
    "place": N_("Mødested"),
    "caller": N_("Hvem ringer op"),
    "duration_minutes": N_("Varighed"),
    "reporting_minutes": N_("Afrapportering"),
    "start_minutes": N_("Mulige starttider"),
    "first_meeting_date": N_("Første mødedato"),
    "end_date": N_("Fast slutdato"),
    "rolling_weeks": N_("Løbende slutdato"),
    "opens_on": N_("Tilbud åbnes for booking"),
    "team_id": N_("Team"),
    "room_id": N_("Mødelokale"),
    "advisor_ids": N_("Vejledere"),
    "citizen_may_choose_advisor": N_("Borgeren kan vælge vejleder"),
    "accept_cancellation": N_("Accepter afbud"),
    "rebooking_days_before": N_("Accepter ombooking"),
    "active": N_("Aktiv"),
    "region": N_("Region"),
    "rules": N_("Regler for deltagere"),
    "marker_routes": N_("Persongruppemarkeringer med egne vejledere"),
}
"""The Danish names staff know the fields by (the guide's labels)."""


class Problems:
    """The field problems found so far in one request.

    Most fields get Danish messages; the participant rules and marker routes get
    ``{"path", "code", "message"}`` objects, whose path points inside the field's JSON.
    """

    def __init__(self) -> None:
        self.errors: dict[str, list[Any]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def add_problems(self, field: str, problems: Iterable[Problem]) -> None:
        self.errors.setdefault(field, []).extend(problem.to_json() for problem in problems)

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def raise_if_any(self) -> None:
        """Raise ValidationFailed listing every problem; the detail spells out a single one."""
        if not self.errors:
            return
        problems = [(field, m) for field, ms in self.errors.items() for m in ms]
        field, message = problems[0]
        if isinstance(message, dict):
            message = message["message"]
        detail = f"{LABELS.get(field, field)}: {message}" if len(problems) == 1 else GENERAL
        raise ValidationFailed(detail, extra={"errors": self.errors})


def text(problems: Problems, data: Mapping[str, Any], field: str, *, max_length: int, required: bool) -> str | None:
    """The stripped text in ``data[field]`` (None when empty and not required)."""
    value = data.get(field)
    if value is not None and not isinstance(value, str):
        problems.add(field, "Skal være tekst.")
        return None
    value = (value or "").strip()
    if not value:
        if required:
            problems.add(field, REQUIRED)
        return None
    if len(value) > max_length:
        problems.add(field, f"Må højst være {max_length} tegn (er {len(value)}).")
    elif _CONTROL.search(value):
        problems.add(field, "Indeholder ugyldige tegn (kontroltegn).")
    return value


def plain_text(problems: Problems, field: str, value: str | None) -> None:
    if value and _HTML_TAG.search(value):
        problems.add(field, "Skal være almindelig tekst uden HTML-formatering.")


def phone(problems: Problems, data: Mapping[str, Any], field: str) -> str | None:
    """An optional phone number: at least 8 digits, spaces, hyphens and a leading + allowed."""
    value = text(problems, data, field, max_length=30, required=False)
    if value is not None and not _PHONE.match(value):
        problems.add(field, "Skal være et telefonnummer med mindst 8 cifre, fx 70101010 eller +45 70 10 10 10.")
    return value


def timezone(problems: Problems, field: str, value: str | None, default: str) -> str:
    name = value or default
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(field, f"'{name}' er ikke en kendt tidszone; brug fx Europe/Copenhagen.")
    return name


def integer(problems: Problems, field: str, value: Any, *, minimum: int, message: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(field, "Skal være et helt tal.")
        return None
    if value < minimum:
        problems.add(field, message)
    elif value > LARGEST_INTEGER:
        problems.add(field, "Tallet er for stort.")
    return value


def caldav_url(
    problems: Problems, data: Mapping[str, Any], field: str, check: Callable[[str], object] | None
) -> str | None:
    """An optional calendar address. ``check`` (``ServiceContext.check_calendar_url``: http(s)
    only, no user name or password in it, no internal address) raises ``CalendarUrlRefused``
    for an address that may not be used; None leaves an address already stored unchecked."""
    value = text(problems, data, field, max_length=1000, required=False)
    if value is None or check is None or field in problems:
        return value
    try:
        check(value)
    except CalendarUrlRefused as refused:
        problems.add(field, refused.detail)
    return value


def _clock(value: Any) -> time | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


def _shown(key: Any) -> str:
    """A key the caller sent, as a message may quote it: short, on one line."""
    text = " ".join(str(key).split())
    return text if len(text) <= 20 else text[:19] + "…"


def _ranges_ok(problems: Problems, field: str, label: str, ranges: Any) -> bool:
    """Whether ``ranges`` are ``[["08:00", "12:00"], ...]``, each start before its end, none
    overlapping; else the problems, in Danish, under ``field``."""
    if not isinstance(ranges, list):
        problems.add(field, f"{label}: skal være en liste af tidsrum.")
        return False
    ok, pairs = True, []
    for pair in ranges:
        clocks = [_clock(v) for v in pair] if isinstance(pair, list) and len(pair) == 2 else [None]
        start, end = [*clocks, None][:2]
        if start is None or end is None:
            problems.add(field, f'{label}: hvert tidsrum skal være ["TT:MM", "TT:MM"], fx ["08:00", "12:00"].')
            ok = False
        elif not start < end:
            problems.add(field, f"{label}: {start:%H:%M} skal være før {end:%H:%M}.")
            ok = False
        else:
            pairs.append((start, end))
    if any(b[0] < a[1] for a, b in pairwise(sorted(pairs))):
        problems.add(field, f"{label}: tidsrummene overlapper hinanden.")
        ok = False
    return ok


def working_hours(problems: Problems, field: str, value: Any) -> dict[str, list[list[str]]] | None:
    """Weekly working hours as ``{"mon": [["08:00", "12:00"], ["12:30", "15:30"]]}``; a gap is a break."""
    if not isinstance(value, Mapping):
        problems.add(field, 'Skal være et objekt som {"mon": [["08:00", "12:00"], ["12:30", "15:30"]]}.')
        return None
    found = False
    for day, ranges in value.items():
        if day not in WEEKDAYS:
            problems.add(field, f"Ukendt ugedag '{_shown(day)}'; brug {', '.join(WEEKDAYS)}.")
            found = True
        elif not _ranges_ok(problems, field, day, ranges):
            found = True
    if found:
        return None
    return weekly_hours_to_json(parse_weekly_hours(value))


def uuid_value(problems: Problems, field: str, value: Any, *, required: bool = False) -> uuid.UUID | None:
    if value is None:
        if required:
            problems.add(field, REQUIRED)
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        problems.add(field, "Skal være et gyldigt id (UUID).")
        return None


def uuid_list(problems: Problems, field: str, value: Any) -> list[uuid.UUID]:
    """Distinct ids in the given order."""
    if not isinstance(value, list | tuple):
        problems.add(field, "Skal være en liste af id'er.")
        return []
    result: list[uuid.UUID] = []
    for item in value:
        ident = uuid_value(problems, field, item)
        if ident is not None and ident not in result:
            result.append(ident)
    return result


def date_value(problems: Problems, data: Mapping[str, Any], field: str, *, required: bool) -> date | None:
    value = data.get(field)
    if value is None:
        if required:
            problems.add(field, REQUIRED)
        return None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = date.fromisoformat(value)
    if not isinstance(value, date) or isinstance(value, datetime):
        problems.add(field, "Skal være en dato (ÅÅÅÅ-MM-DD).")
        return None
    return value


def boolean(problems: Problems, data: Mapping[str, Any], field: str, default: bool) -> bool:
    value = data.get(field, default)
    if value is None:
        value = default
    if not isinstance(value, bool):
        problems.add(field, "Skal være sand eller falsk (true/false).")
        return default
    return value


def working_exceptions(problems: Problems, field: str, value: Any) -> dict[str, list[list[str]]] | None:
    """Working time on single dates, ``{"2026-12-23": [], "2026-12-22": [["09:00", "11:00"]]}``
    (an empty list is a day off); returned in canonical form."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.add(field, 'Skal være et objekt som {"2026-12-23": [], "2026-12-22": [["09:00", "11:00"]]}.')
        return None
    found = False
    for key, ranges in value.items():
        try:
            date.fromisoformat(str(key))
        except ValueError:
            problems.add(field, f"'{_shown(key)}' er ikke en dato; skriv ÅÅÅÅ-MM-DD, fx 2026-12-23.")
            found = True
            continue
        if not _ranges_ok(problems, field, str(key), ranges):
            found = True
    if found:
        return None
    parsed = parse_day_exceptions(value)
    return {
        day.isoformat(): [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in ranges]
        for day, ranges in sorted(parsed.items())
    }
