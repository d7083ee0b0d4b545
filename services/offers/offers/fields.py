"""The rules of an individual offer (O-1, O-3, O-4, O-6 to O-10), checked as one whole.

Creating and editing share these checks: an edit is applied to the current offer and
the result is checked again, so no edit can leave an offer that breaks a rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.admin.conversation_types import type_names, type_problem
from services.offers.admin.variants import variant_names
from services.offers.models import CALLERS, CHANNELS, MEETING_FORMS, Advisor, JobCentre, Offer, Room, Team
from services.offers.rules.participant_rules import check_participants
from shared.availability import ALLOWED_START_MINUTES
from shared.timeutil import today_in, zone

OFFER_COLUMNS = (
    "name",
    "description",
    "conversation_type",
    "variant",
    "meeting_form",
    "channel",
    "place",
    "phone",
    "caller",
    "duration_minutes",
    "reporting_minutes",
    "start_minutes",
    "first_meeting_date",
    "end_date",
    "rolling_weeks",
    "opens_on",
    "team_id",
    "room_id",
    "citizen_may_choose_advisor",
    "accept_cancellation",
    "rebooking_days_before",
    "active",
    "rules",
    "marker_routes",
)
OFFER_INPUT = frozenset({*OFFER_COLUMNS, "job_centre_id", "advisor_ids"})
_CHOOSE = "citizen_may_choose_advisor"
_MINUTES = ", ".join(f"{m:02d}" for m in sorted(ALLOWED_START_MINUTES))


def default_place(channel: str | None, room: Room | None) -> str | None:
    """An in-person meeting takes place at its room's address unless staff wrote another."""
    return room.address if channel == "in_person" and room is not None else None


def default_phone(channel: str | None, advisors: Sequence[Advisor], team: Team | None) -> str | None:
    """O-4: a phone meeting uses the first advisor's phone, else the team's."""
    if channel != "phone":
        return None
    for candidate in (*(a.phone for a in advisors[:1]), team.phone if team else None):
        if candidate:
            return candidate
    return None


def offer_state(offer: Offer) -> tuple[Any, ...]:
    """Everything staff can change on ``offer``, to tell whether an edit changed anything."""
    return (*(getattr(offer, c) for c in OFFER_COLUMNS), tuple(offer.advisor_ids))


def _current_values(session: Session, offer: Offer, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The offer as input values; a place or phone that was the default follows its source."""
    values: dict[str, Any] = {c: getattr(offer, c) for c in OFFER_COLUMNS}
    values |= {"job_centre_id": offer.job_centre_id, "advisor_ids": offer.advisor_ids}
    room = session.get(Room, offer.room_id) if offer.room_id else None
    if "place" not in changes and offer.place == default_place(offer.channel, room):
        values["place"] = None
    advisors = [a for a in (session.get(Advisor, i) for i in offer.advisor_ids[:1]) if a is not None]
    team = session.get(Team, offer.team_id)
    if "phone" not in changes and offer.phone == default_phone(offer.channel, advisors, team):
        values["phone"] = None
    return values


def _choice(
    problems: check.Problems, values: Mapping[str, Any], field: str, allowed: Sequence[Any], message: str
) -> Any:
    value = values.get(field)
    if value is None:
        problems.add(field, check.REQUIRED)
    elif isinstance(value, bool) or value not in allowed:
        problems.add(field, message)
    return value


def start_minutes(problems: check.Problems, value: Any) -> list[int]:
    """The allowed start minutes (O-7) in ``value``, sorted; a problem when any is not allowed."""
    if value is None:
        problems.add("start_minutes", check.REQUIRED)
        return []
    if not isinstance(value, list | tuple) or not value:
        problems.add("start_minutes", f"Vælg mindst ét starttidspunkt blandt {_MINUTES} minutter over hel time.")
        return []
    if any(isinstance(m, bool) or m not in ALLOWED_START_MINUTES for m in value):
        problems.add("start_minutes", f"Starttidspunkterne skal vælges blandt {_MINUTES} minutter over hel time.")
        return []
    return sorted(set(value))


Row = TypeVar("Row", JobCentre, Team, Room, Advisor)
Sees = Callable[[JobCentre | Team | Room | Advisor], bool]
"""Whether the caller may see a row the offer names; the rows they may not are absent."""


def _sees_all(row: JobCentre | Team | Room | Advisor) -> bool:
    return True


def _resources(
    problems: check.Problems, session: Session, values: Mapping[str, Any], sees: Sees
) -> tuple[JobCentre | None, Team | None, Room | None, list[Advisor]]:
    """The job centre, team, room and advisors the offer names, all of one job centre (O-9);
    a row the caller may not see (``sees``) is reported as not existing, never by name."""

    def get(model: type[Row], ident: uuid.UUID) -> Row | None:
        row = session.get(model, ident)
        return row if row is not None and sees(row) else None

    team_id = check.uuid_value(problems, "team_id", values.get("team_id"), required=True)
    team = get(Team, team_id) if team_id else None
    if team_id and team is None:
        problems.add("team_id", "Teamet findes ikke.")
    centre_id = check.uuid_value(problems, "job_centre_id", values.get("job_centre_id"))
    centre = get(JobCentre, centre_id) if centre_id else None
    if centre_id and centre is None:
        problems.add("job_centre_id", "Jobcentret findes ikke.")
    if centre is None and centre_id is None and team is not None:
        centre = session.get(JobCentre, team.job_centre_id)
    if centre is not None and team is not None and team.job_centre_id != centre.id:
        problems.add("team_id", "Teamet hører til et andet jobcenter end tilbuddet.")
    room_id = check.uuid_value(problems, "room_id", values.get("room_id"))
    room = get(Room, room_id) if room_id else None
    if room_id and room is None:
        problems.add("room_id", "Mødelokalet findes ikke.")
    elif room is not None and centre is not None and room.job_centre_id != centre.id:
        problems.add("room_id", "Mødelokalet hører til et andet jobcenter.")
    advisors: list[Advisor] = []
    advisor_ids = values.get("advisor_ids")
    ids = check.uuid_list(problems, "advisor_ids", advisor_ids) if advisor_ids is not None else []
    if not ids and "advisor_ids" not in problems:
        problems.add("advisor_ids", "Vælg mindst én vejleder.")
    for ident in ids:
        advisor = get(Advisor, ident)
        if advisor is None:
            problems.add("advisor_ids", f"Vejlederen {ident} findes ikke.")
        elif centre is not None and advisor.job_centre_id != centre.id:
            problems.add("advisor_ids", f"Vejlederen {advisor.name} hører til et andet jobcenter.")
        else:
            advisors.append(advisor)
    return centre, team, room, advisors


def _caller(problems: check.Problems, channel: Any, value: Any) -> str | None:
    """Who calls at a phone meeting (O-4): the advisor (the default) or the citizen; none for
    other channels (what a changed channel leaves behind is dropped)."""
    if channel != "phone":
        return None
    if value is None or value == "":
        return "advisor"
    if value not in CALLERS:
        problems.add(
            "caller",
            "Hvem ringer op: 'advisor' (vejlederen ringer til borgeren) "
            "eller 'citizen' (borgeren ringer til nummeret).",
        )
        return None
    return str(value)


def _variant(
    problems: check.Problems,
    session: Session,
    centre: JobCentre | None,
    conversation_type: Any,
    values: Mapping[str, Any],
    previous: Offer | None,
) -> str | None:
    """The offer's variant: one of its centre's variants of the conversation type (A-2), or
    none. An offer keeps a variant its centre has since removed, while type and variant stay."""
    name = check.text(problems, values, "variant", max_length=100, required=False)
    if name is None or centre is None or "variant" in problems or conversation_type is None:
        return name
    if previous is not None and (previous.variant, previous.conversation_type) == (name, conversation_type):
        return name
    known = variant_names(session, centre.id, conversation_type)
    if name not in known:
        kind = type_names(session)[conversation_type]
        if known:
            problems.add("variant", f"Ukendt variant af {kind}; jobcentrets varianter er: {', '.join(known)}.")
        else:
            problems.add(
                "variant",
                f"Jobcentret har ingen varianter af {kind}. Lad feltet stå tomt, eller få en administrator "
                "til at oprette varianten på jobcentrets side.",
            )
    return name


def _group_rules(
    problems: check.Problems, values: Mapping[str, Any], previous: Offer | None, channel: Any, end: date | None
) -> None:
    """What a group offer (fællesmøde, O-11) cannot have: a phone channel, a fixed end date
    (its meetings are its dates), or a new name once saved (O-5)."""
    if channel == "phone":
        problems.add("channel", "Et fællesmøde holdes digitalt eller ved personligt fremmøde, ikke over telefon.")
    if end is not None:
        problems.add("end_date", "Et fællesmøde har ingen fast slutdato; dets møder er datoerne.")
    if previous is not None and previous.meeting_form == "group" and values.get("name") != previous.name:
        problems.add("name", "Navnet på et fællesmøde kan ikke ændres, når tilbuddet er gemt.")


def offer_fields(
    session: Session,
    data: Mapping[str, Any],
    *,
    previous: Offer | None = None,
    today: date | None = None,
    sees: Sees = _sees_all,
) -> tuple[dict[str, Any], JobCentre, list[uuid.UUID]]:
    """Check a new offer (``data``) or an edit of ``previous`` (``data`` are the changes);
    the rows of centres the caller may not see (``sees``) are treated as absent.

    Returns the column values, the job centre and the advisor ids in order; raises
    ValidationFailed listing every field problem. The participant rules are required, except
    that an edit may leave an offer from before rules existed without them.
    """
    problems = check.Problems()
    allowed = OFFER_INPUT - {"job_centre_id"} if previous is not None else OFFER_INPUT
    for key in sorted(set(data) - allowed):
        problems.add(key, "Feltet kan ikke ændres på et tilbud." if key in OFFER_INPUT else "Ukendt felt.")
    values = dict(data) if previous is None else _current_values(session, previous, data) | dict(data)
    centre, team, room, advisors = _resources(problems, session, values, sees)

    description = check.text(problems, values, "description", max_length=500, required=False) or ""
    check.plain_text(problems, "description", description)
    keeping = previous.conversation_type if previous is not None else None
    conversation_type = type_problem(
        problems, session, "conversation_type", values.get("conversation_type"), keeping=keeping
    )
    message = "Mødeformen skal være 'individual' (individuel samtale) eller 'group' (fællesmøde)."
    meeting_form = _choice(problems, values, "meeting_form", MEETING_FORMS, message)
    group = meeting_form == "group"
    if previous is not None and meeting_form != previous.meeting_form and "meeting_form" not in problems:
        problems.add("meeting_form", "Mødeformen kan ikke ændres på et gemt tilbud; opret et nyt tilbud i stedet.")
    channel = _choice(
        problems,
        values,
        "channel",
        CHANNELS,
        "Afholdelsesformen skal være 'video' (digitalt), 'in_person' (personlig kontakt) eller 'phone' (telefon).",
    )
    duration = check.integer(
        problems,
        "duration_minutes",
        values.get("duration_minutes"),
        minimum=1,
        message="Varigheden skal være mindst 1 minut.",
    )
    if duration is None and "duration_minutes" not in problems:
        problems.add("duration_minutes", check.REQUIRED)
    reporting = check.integer(
        problems,
        "reporting_minutes",
        values.get("reporting_minutes"),
        minimum=0,
        message="Afrapporteringstiden kan ikke være negativ.",
    )

    first = check.date_value(problems, values, "first_meeting_date", required=not group)
    end = check.date_value(problems, values, "end_date", required=False)
    if group:
        _group_rules(problems, values, previous, channel, end)
    if first is not None and end is not None and end < first:
        problems.add("end_date", "Den faste slutdato skal ligge på eller efter første mødedato.")
    opens_on = check.date_value(problems, values, "opens_on", required=False)
    if opens_on is None and centre is not None:
        opens_on = today or today_in(zone(centre.timezone))
    if group and first is None:
        first = opens_on  # a group offer's meetings are its dates (O-12)
    if opens_on is not None and end is not None and opens_on > end:
        problems.add("opens_on", "Tilbuddet åbner først efter slutdatoen, så ingen borger kan booke det.")

    place = check.text(problems, values, "place", max_length=300, required=False) or default_place(channel, room)
    if channel == "in_person" and not place:
        problems.add("place", "Angiv mødestedets adresse, eller vælg et mødelokale.")
    phone = check.phone(problems, values, "phone") or default_phone(channel, advisors, team)
    caller = _caller(problems, channel, values.get("caller"))
    if caller == "citizen" and not phone and "phone" not in problems:
        problems.add(
            "phone", "Angiv det nummer, borgeren skal ringe til; hverken den første vejleder eller teamet har et."
        )
    fields = {
        "name": check.text(problems, values, "name", max_length=200, required=True),
        "description": description,
        "conversation_type": conversation_type,
        "variant": _variant(problems, session, centre, conversation_type, values, previous),
        "meeting_form": "group" if group else "individual",
        "channel": channel,
        "place": place,
        "phone": phone,
        "caller": caller,
        "duration_minutes": duration,
        "reporting_minutes": reporting or 0,
        "start_minutes": [] if group else start_minutes(problems, values.get("start_minutes")),
        "first_meeting_date": first,
        "end_date": end,
        "rolling_weeks": check.integer(
            problems,
            "rolling_weeks",
            values.get("rolling_weeks"),
            minimum=1,
            message="Den løbende slutdato skal være mindst 1 uge.",
        ),
        "opens_on": opens_on,
        "team_id": team.id if team else None,
        "room_id": room.id if room else None,
        "citizen_may_choose_advisor": not group and check.boolean(problems, values, _CHOOSE, False),
        "accept_cancellation": check.boolean(problems, values, "accept_cancellation", True),
        "rebooking_days_before": check.integer(
            problems,
            "rebooking_days_before",
            values.get("rebooking_days_before"),
            minimum=0,
            message="Antal dage før mødet kan ikke være negativt.",
        ),
        "active": check.boolean(problems, values, "active", True),
    }
    if centre is not None:
        legacy = previous is not None and previous.rules is None and "rules" not in data
        fields["rules"], fields["marker_routes"] = check_participants(
            problems, session, centre, values, [a.id for a in advisors], keep_missing_rules=legacy
        )
    problems.raise_if_any()
    assert centre is not None
    return fields, centre, [a.id for a in advisors]
