"""What the offer pages show, built from the rows: the list's rows, the offer's details in
the wizard's sections, its rules in words, and its revision log with values as staff wrote
them (names for ids, Danish dates, "Ja"/"Nej"). No Flask here but the page's language."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext

from services.offers import validation
from services.offers.models import Offer, OfferRevision
from services.offers.offers.revisions import CREATED, MEETING, value_of
from services.offers.wizard.form import GROUP_LEAVES_OUT
from shared import formatting as fmt
from shared.eligibility import ReferenceData
from shared.eligibility.evaluation import describe_rule
from shared.eligibility.model import JOIN_LABELS, MATCH_LABELS
from shared.eligibility.validation import parse_rules
from shared.i18n import N_
from shared.pages import page_locale, page_text
from shared.timeutil import zone

CHANNEL_LABELS = {"video": N_("Video"), "in_person": N_("Personligt fremmøde"), "phone": N_("Telefon")}
FORM_LABELS = {"individual": N_("Individuel samtale"), "group": N_("Fællesmøde")}
STATUS_LABELS = {True: N_("Aktiv"), False: N_("Inaktiv")}
CALLER_LABELS = {
    "advisor": N_("Vejlederen ringer til borgeren"),
    "citizen": N_("Borgeren ringer til nummeret"),
}
NONE = "–"


@dataclass(frozen=True)
class Names:
    """The names of the teams, rooms and advisors an offer or its log refers to, by id, and of
    the conversation types by code."""

    teams: Mapping[uuid.UUID, str]
    rooms: Mapping[uuid.UUID, str]
    advisors: Mapping[uuid.UUID, str]
    types: Mapping[int, str]

    def of(self, kind: Mapping[uuid.UUID, str], ident: Any) -> str:
        try:
            return kind.get(uuid.UUID(str(ident)), str(ident))
        except ValueError:
            return str(ident)


def conversation_type(code: int, names: Mapping[int, str]) -> str:
    """``7 Jobsamtale``: the code and its name in the national code list (``names``), which is
    Danish in every language (as plain text: it also labels options, which cannot hold markup)."""
    name = names.get(code)
    return f"{code} {name}" if name else str(code)


def local_time(moment: datetime, timezone: str) -> str:
    """``2. december 2026 kl. 10.15`` in the job centre's zone."""
    here = moment.astimezone(zone(timezone))
    locale = page_locale()
    day = fmt.long_date(here.date(), locale).split(" ", 1)[1]  # without the weekday
    return f"{day}{', ' if locale == fmt.ENGLISH else ' kl. '}{fmt.clock(here, locale)}"


def list_row(offer: Offer, names: Names) -> dict[str, Any]:
    """One row of the offer list (V-1)."""
    return {
        "id": offer.id,
        "name": offer.name,
        "conversation_type": conversation_type(offer.conversation_type, names.types),
        "meeting_form": gettext(FORM_LABELS[offer.meeting_form]),
        "channel": gettext(CHANNEL_LABELS[offer.channel]),
        "team": names.of(names.teams, offer.team_id),
        "active": offer.active,
        "status": gettext(STATUS_LABELS[offer.active]),
        "updated": local_time(offer.updated_at, offer.job_centre.timezone),
    }


def _yes_no(value: bool | None) -> str:
    return gettext("Ja") if value else gettext("Nej")


def _day(value: Any) -> str:
    if value is None:
        return NONE
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return fmt.long_date(day, page_locale()).split(" ", 1)[1]


def _minutes(value: int | None) -> str:
    return NONE if value is None else fmt.duration(value, page_locale())


def describe_rules(rules: Mapping[str, Any] | None, reference: ReferenceData) -> list[dict[str, Any]]:
    """The groups of the rules in words: ``[{"join": "Og"|None, "match": "Alle", "rules": [...]}]``."""
    if rules is None:
        return []
    parsed = parse_rules(rules, None)
    return [
        {
            "join": JOIN_LABELS[parsed.join] if position else None,
            "match": MATCH_LABELS[group.match],
            "rules": [describe_rule(rule, reference) for rule in group.rules],
        }
        for position, group in enumerate(parsed.groups)
    ]


def routes_shown(routes: dict[str, list[str]], reference: Any, names: Names) -> list[tuple[str, str]]:
    """R-5 routes as ``(marker's name, the advisors' names)``."""
    shown = []
    for code, ids in routes.items():
        marker = reference.marker(code) if reference is not None else None
        shown.append((marker.name if marker else code, ", ".join(names.of(names.advisors, i) for i in ids)))
    return shown


def field_text(field: str, value: Any, names: Names) -> str:
    """A field's value as the offer page and its log show it."""
    if field in ("team_id", "room_id"):
        return NONE if value is None else names.of(names.teams if field == "team_id" else names.rooms, value)
    if field == "advisor_ids":
        return ", ".join(names.of(names.advisors, ident) for ident in value or []) or NONE
    if field == "conversation_type":
        return conversation_type(int(value), names.types)
    if field == "meeting_form":
        return gettext(FORM_LABELS.get(value, value))
    if field == "channel":
        return gettext(CHANNEL_LABELS.get(value, value))
    if field == "caller":
        return NONE if value is None else gettext(CALLER_LABELS.get(value, value))
    if field in ("first_meeting_date", "end_date", "opens_on"):
        return _day(value)
    if field in ("duration_minutes", "reporting_minutes"):
        return _minutes(value)
    if field == "rolling_weeks":
        return NONE if value is None else gettext("%(weeks)s uger fra bookingen", weeks=value)
    if field == "rebooking_days_before":
        return gettext("Nej") if value is None else gettext("Indtil %(days)s dage før mødet", days=value)
    if field == "start_minutes":
        return ", ".join(f":{minute:02d}" for minute in sorted(value or []))
    if field in ("rules", "marker_routes"):
        return gettext("ændret (se Regler for deltagere)")
    if isinstance(value, bool):
        return _yes_no(value)
    return NONE if value in (None, "") else str(value)


def field_label(field: str) -> str:
    return page_text(validation.LABELS.get(field, field))


def meeting_text(value: Mapping[str, Any] | None, timezone: str) -> str:
    """A meeting in the log: ``12. januar 2027 kl. 10.00, 25 pladser (lokalets) + 5 ekstra``."""
    if not value:
        return NONE
    start = datetime.fromisoformat(str(value["start"]))
    seats = (
        gettext("%(seats)s pladser (lokalets)", seats=value["seats"])
        if value.get("room_capacity")
        else gettext("%(seats)s pladser", seats=value["seats"])
    )
    text = f"{local_time(start, timezone)}, {seats}"
    if value.get("extra_seats"):
        text += " " + gettext("+ %(extra)s ekstra", extra=value["extra_seats"])
    if value.get("cancelled"):
        text += " " + gettext("(aflyst)")
    return text


def log_rows(revisions: Sequence[OfferRevision], names: Names, timezone: str) -> list[dict[str, str]]:
    """The revision log's lines, newest first (V-7)."""
    rows = []
    for revision in revisions:
        who = revision.actor_name or gettext("Systemet")
        when = local_time(revision.changed_at, timezone)
        if revision.field == CREATED:
            rows.append({"when": when, "who": who, "field": gettext("Tilbuddet er oprettet"), "old": "", "new": ""})
            continue
        old, new = value_of(revision.old_value), value_of(revision.new_value)
        if revision.field == MEETING:
            rows.append({
                "when": when, "who": who, "field": gettext("Fællesmøde"),
                "old": meeting_text(old, timezone), "new": meeting_text(new, timezone),
            })  # fmt: skip
            continue
        rows.append({
            "when": when, "who": who, "field": field_label(revision.field),
            "old": field_text(revision.field, old, names), "new": field_text(revision.field, new, names),
        })  # fmt: skip
    return rows


def details(offer: Offer, names: Names) -> list[dict[str, Any]]:
    """The offer's fields in the wizard's sections (Type, Tid, Vilkår), each ``(label, text)``."""

    group = offer.meeting_form == "group"  # its meetings have their own dates and times

    def shown(*fields: str) -> list[tuple[str, str]]:
        return [
            (field_label(f), field_text(f, getattr(offer, f), names))
            for f in fields
            if not (group and f in GROUP_LEAVES_OUT)
        ]

    place = ("place",) if offer.channel == "in_person" else ("caller", "phone") if offer.channel == "phone" else ()
    end = "end_date" if offer.end_date is not None else "rolling_weeks"
    return [
        {"title": gettext("Type"), "fields": shown(
            "name", "description", "conversation_type", "variant", "meeting_form", "channel", *place)},
        {"title": gettext("Tid"), "fields": shown(
            "duration_minutes", "reporting_minutes", "start_minutes", "first_meeting_date", end, "opens_on",
            "team_id", "room_id", "advisor_ids", "citizen_may_choose_advisor")},
        {"title": gettext("Afbud og ombooking"), "fields": shown("accept_cancellation", "rebooking_days_before")},
    ]  # fmt: skip
