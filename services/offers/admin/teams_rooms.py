"""The writes of teams and meeting rooms, each in the caller's transaction (a Session), the
same for the JSON API and the staff pages.

As in ``operations``: input checked with Danish messages (one ``ValidationFailed`` listing
every field) and rows changed. A team's phone number and a room's address are the default
phone and place of offers (O-4); when they change, the offers that used the default follow
(``services.offers.offers.operations.follow_defaults``: revision log and ``offer.changed``).
The route has checked the caller's right to change the team or room in the path.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.access import Scope
from services.offers.admin.operations import job_centre_of
from services.offers.lookup import get_or_404
from services.offers.meetings.operations import follow_room_capacity, room_capacity_problem
from services.offers.models import Offer, Room, Team
from services.offers.offers.operations import defaults_of, follow_defaults
from services.offers.offers.revisions import Editor

TEAM_FIELDS = frozenset(("name", "phone"))
ROOM_FIELDS = frozenset(("name", "address", "capacity"))


def _team_values(problems: check.Problems, data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": check.text(problems, data, "name", max_length=200, required=True),
        "phone": check.phone(problems, data, "phone"),
    }


def _room_values(problems: check.Problems, data: Mapping[str, Any]) -> dict[str, Any]:
    capacity = check.integer(problems, "capacity", data.get("capacity"), minimum=1, message="Skal være mindst 1.")
    if "capacity" not in problems and capacity is None:
        problems.add("capacity", check.REQUIRED)
    return {
        "name": check.text(problems, data, "name", max_length=200, required=True),
        "address": check.text(problems, data, "address", max_length=300, required=True),
        "capacity": capacity,
    }


def _following(session: Session, condition: Any) -> Sequence[Offer]:
    """The offers that may follow a changed number or address (only those using the default do)."""
    return session.scalars(select(Offer).where(condition).order_by(Offer.id)).all()


def _only(problems: check.Problems, changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for key in sorted(set(changes) - allowed):
        problems.add(key, "Feltet kan ikke ændres her.")


def create_team(session: Session, data: Mapping[str, Any], *, scope: Scope) -> Team:
    """Create a team of a job centre: ``job_centre_id``, ``name`` and an optional ``phone``
    (the fallback phone number of the team's phone offers, O-4)."""
    problems = check.Problems()
    centre = job_centre_of(problems, session, data, scope)
    values = _team_values(problems, data)
    problems.raise_if_any()
    assert centre is not None
    team = Team(job_centre_id=centre.id, **values)
    session.add(team)
    session.flush()
    return team


def update_team(
    session: Session, team_id: uuid.UUID, changes: Mapping[str, Any], *, editor: Editor | None = None
) -> tuple[Team, list[Offer]]:
    """Change a team's ``name`` or ``phone`` (PATCH: absent fields stay; an empty or null
    phone removes it). The team's phone offers that were called from the team's number
    follow the new one; an offer left without any number keeps the old one (staff give it
    a number on the offer). Returns the team and the offers that changed."""
    team = get_or_404(session, Team, team_id, "Teamet findes ikke.", lock=True)
    problems = check.Problems()
    _only(problems, changes, TEAM_FIELDS)
    values = _team_values(problems, {"name": team.name, "phone": team.phone} | dict(changes))
    problems.raise_if_any()
    offers = _following(session, Offer.team_id == team.id) if values["phone"] != team.phone else []
    before = {offer.id: defaults_of(session, offer) for offer in offers}
    team.name, team.phone = values["name"], values["phone"]
    session.flush()
    return team, follow_defaults(session, offers, before, editor=editor)


def create_room(session: Session, data: Mapping[str, Any], *, scope: Scope) -> Room:
    """Create a meeting room: ``job_centre_id``, ``name``, ``address`` and ``capacity`` (> 0)."""
    problems = check.Problems()
    centre = job_centre_of(problems, session, data, scope)
    values = _room_values(problems, data)
    problems.raise_if_any()
    assert centre is not None
    room = Room(job_centre_id=centre.id, **values)
    session.add(room)
    session.flush()
    return room


def update_room(
    session: Session, room_id: uuid.UUID, changes: Mapping[str, Any], *, editor: Editor | None = None
) -> tuple[Room, list[Offer]]:
    """Change a room's ``name``, ``address`` or ``capacity`` (PATCH: absent fields stay).
    In-person offers in the room whose place was its address follow the new address; the
    coming group meetings that use the room's capacity follow the new capacity (refused
    below the citizens one of them has booked). Returns the room and the offers that changed."""
    room = get_or_404(session, Room, room_id, "Mødelokalet findes ikke.", lock=True)
    problems = check.Problems()
    _only(problems, changes, ROOM_FIELDS)
    current = {"name": room.name, "address": room.address, "capacity": room.capacity}
    values = _room_values(problems, current | dict(changes))
    if "capacity" not in problems and values["capacity"] < room.capacity:
        fewer = room_capacity_problem(session, room, values["capacity"])
        if fewer:
            problems.add("capacity", fewer)
    problems.raise_if_any()
    offers = _following(session, Offer.room_id == room.id) if values["address"] != room.address else []
    before = {offer.id: defaults_of(session, offer) for offer in offers}
    old_capacity = room.capacity
    room.name, room.address, room.capacity = values["name"], values["address"], values["capacity"]
    session.flush()
    changed = follow_defaults(session, offers, before, editor=editor)
    if room.capacity != old_capacity:
        seats = follow_room_capacity(session, room, old_capacity, editor=editor or Editor())
        changed += [offer for offer in seats if offer not in changed]
    return room, changed
