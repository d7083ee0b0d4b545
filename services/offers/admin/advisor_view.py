"""What the staff pages show of advisors, and how they read the working-time fields: the
calendar health in words, working hours as "08:00-12:00, 12:30-15:30" per weekday, and
the date exceptions. No request handling here; the texts are marked for translation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from flask_babel import lazy_gettext

from services.offers.calendars.health import health_of
from services.offers.models import Advisor
from shared.i18n import N_
from shared.timeutil import utcnow
from shared.working_time import WEEKDAYS

HEALTH_TEXT = {
    "ok": lazy_gettext("Kalenderen er læst"),
    "stale": lazy_gettext("Forældet: vejlederens tider er trukket tilbage"),
    "error": lazy_gettext("Fejl ved seneste læsning"),
    "unknown": lazy_gettext("Ikke læst endnu"),
    "none": lazy_gettext("Ingen kalender tilknyttet"),
}
WEEKDAY_NAMES = dict(
    zip(
        WEEKDAYS,
        (
            lazy_gettext("Mandag"),
            lazy_gettext("Tirsdag"),
            lazy_gettext("Onsdag"),
            lazy_gettext("Torsdag"),
            lazy_gettext("Fredag"),
            lazy_gettext("Lørdag"),
            lazy_gettext("Søndag"),
        ),
        strict=True,
    )
)
ERROR_SHOWN = 2000
"""At most this much of a calendar error is shown (the worker's text names objects of the
calendar server, whose names are not ours to bound)."""
_SPAN = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*$")


def health_key(advisor: Advisor, stale_after: timedelta, now: datetime | None = None) -> str:
    """The key of ``HEALTH_TEXT`` for ``advisor``'s calendar."""
    if not advisor.caldav_url:
        return "none"
    return health_of(advisor, now=now or utcnow(), stale_after=stale_after).status


def advisor_rows(advisors: Sequence[Advisor], stale_after: timedelta) -> list[dict[str, Any]]:
    """The advisors as the job centre's page lists them."""
    return [
        {
            "id": advisor.id,
            "name": advisor.name,
            "teams": ", ".join(team.name for team in advisor.teams),
            "health": health_key(advisor, stale_after),
        }
        for advisor in advisors
    ]


def spans_text(spans: Sequence[Sequence[str]]) -> str:
    """``[["08:00", "12:00"], ["12:30", "15:30"]]`` as "08:00-12:00, 12:30-15:30"."""
    return ", ".join(f"{start}-{end}" for start, end in spans)


def hours_form(working_hours: Mapping[str, Sequence[Sequence[str]]]) -> dict[str, str]:
    """The working-hours form's fields (``hours-mon`` ...) from the stored hours."""
    return {f"hours-{day}": spans_text(working_hours.get(day, [])) for day in WEEKDAYS}


@dataclass(frozen=True)
class SpansRead:
    spans: list[list[str]]
    problem: str | None = None


def read_spans(text: str) -> SpansRead:
    """A day's working time as staff write it: "08:00-12:00, 12:30-15:30" (a dot for the
    colon and an en dash also do; empty: not working). A problem in Danish otherwise."""
    if not text.strip():
        return SpansRead([])
    pairs: list[tuple[time, time]] = []
    for part in text.split(","):
        found = _SPAN.match(part)
        clocks = [int(g) for g in found.groups()] if found else []
        if not found or clocks[0] > 23 or clocks[2] > 23 or clocks[1] > 59 or clocks[3] > 59:
            return SpansRead([], N_("Skriv tidsrum som 08:00-12:00; flere tidsrum adskilt af komma."))
        start = time(clocks[0], clocks[1])
        end = time(clocks[2], clocks[3])
        if not start < end:
            return SpansRead([], N_("Et tidsrum skal slutte senere, end det begynder, fx 08:00-12:00."))
        pairs.append((start, end))
    pairs.sort()
    if any(later[0] < earlier[1] for earlier, later in pairwise(pairs)):
        return SpansRead([], N_("Tidsrummene overlapper hinanden."))
    return SpansRead([[f"{s:%H:%M}", f"{e:%H:%M}"] for s, e in pairs])


def upcoming_exceptions(exceptions: Mapping[str, Sequence[Sequence[str]]], today: date) -> list[dict[str, Any]]:
    """The date exceptions from ``today`` on, in date order: day, and spans (empty: day off)."""
    rows = []
    for text, spans in sorted(exceptions.items()):
        day = date.fromisoformat(text)
        if day >= today:
            rows.append({"day": day, "iso": text, "spans": spans_text(spans)})
    return rows


def team_choices(teams: Sequence[Any]) -> list[tuple[str, str]]:
    return [(str(team.id), team.name) for team in teams]


def chosen_team_ids(form_values: Sequence[str], allowed: Sequence[tuple[str, str]]) -> list[uuid.UUID]:
    """The team checkboxes ticked, among the centre's teams (anything else is ignored)."""
    known = {value for value, _name in allowed}
    return [uuid.UUID(value) for value in form_values if value in known]
