"""The staff's pages for a job centre's teams and meeting rooms: create one, change one.
Parse, check access, call the same operations as the JSON API (``teams_rooms``), render;
back on the centre's page, the message says how many offers followed a new phone number
or address."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import lazy_gettext, ngettext

from services.offers.access import authorized, scope
from services.offers.admin import teams_rooms
from services.offers.blueprint import NO_CENTRE, NO_ROOM, NO_TEAM, WRITE_ADMIN, editor, transaction
from services.offers.models import JobCentre, Room, Team
from services.offers.staff_site import error_links, field_errors, staff_blueprint, staff_page
from shared.auth.web import requires
from shared.errors import ValidationFailed

bp = staff_blueprint("team_room_pages", __name__, url_prefix="/jobcentre")

TEAM_FORM = ("name", "phone")
ROOM_FORM = ("name", "address", "capacity")
SAVED = {
    "team-oprettet": lazy_gettext("Teamet er oprettet."),
    "team-gemt": lazy_gettext("Teamet er gemt."),
    "lokale-oprettet": lazy_gettext("Mødelokalet er oprettet."),
    "lokale-gemt": lazy_gettext("Mødelokalet er gemt."),
}


def saved_message(key: str, followed: str) -> str | None:
    """The centre page's message after a team or room was saved, with the offers that followed."""
    message = SAVED.get(key)
    if message is None:
        return None
    count = int(followed) if followed.isdigit() else 0
    if not count:
        return str(message)
    if key.startswith("team"):
        more = ngettext(
            "%(num)d tilbud bruger nu det nye telefonnummer.",
            "%(num)d tilbud bruger nu det nye telefonnummer.",
            count,
        )
    else:
        more = ngettext(
            "%(num)d tilbud holdes nu på den nye adresse.",
            "%(num)d tilbud holdes nu på den nye adresse.",
            count,
        )
    return f"{message} {more}"


def _form(fields: tuple[str, ...]) -> dict[str, str]:
    return {field: request.form.get(field, "").strip() for field in fields}


def _body(form: dict[str, str], *, editing: bool) -> dict[str, Any]:
    """The form as an operation's input. A new row leaves empty fields out; an edit sends
    every field, so an emptied name is refused and an emptied phone removed. A whole
    number of seats becomes a number; other text stays text, for the operation to refuse."""
    body: dict[str, Any] = dict(form) if editing else {k: v for k, v in form.items() if v}
    if "phone" in body and not body["phone"]:
        body["phone"] = None
    if "capacity" in body:
        seats = body["capacity"]
        body["capacity"] = int(seats) if seats.isdigit() else seats or None
    return body


def _back(job_centre_id: uuid.UUID, message: str, followed: int = 0) -> Response:
    more = {"fulgte": followed} if followed else {}
    target = url_for("admin_pages.centre_page", job_centre_id=job_centre_id, besked=message, **more)
    return redirect(target + "#teams-og-lokaler", 303)  # type: ignore[return-value]


@dataclass(frozen=True)
class Kind:
    """A team or a room, as its pages handle it."""

    model: type[Team] | type[Room]
    template: str
    fields: tuple[str, ...]
    not_found: str
    create: Callable[..., Any]
    update: Callable[..., tuple[Any, list[Any]]]
    created: str
    saved: str

    def current(self, row: Any) -> dict[str, str]:
        return {field: "" if getattr(row, field) is None else str(getattr(row, field)) for field in self.fields}


TEAM = Kind(Team, "admin/team.html", TEAM_FORM, NO_TEAM, teams_rooms.create_team, teams_rooms.update_team,
            "team-oprettet", "team-gemt")  # fmt: skip
ROOM = Kind(Room, "admin/room.html", ROOM_FORM, NO_ROOM, teams_rooms.create_room, teams_rooms.update_room,
            "lokale-oprettet", "lokale-gemt")  # fmt: skip


def _render(kind: Kind, status: int = 200, errors: dict[str, list[str]] | None = None, **values: Any) -> Response:
    errors = errors or {}
    return staff_page(kind.template, status, errors=errors, error_links=error_links(errors), **values)


def _create(kind: Kind, job_centre_id: uuid.UUID) -> Response:
    """The form for a new team or room, and its POST: the operation of ``POST /api/v1/teams`` or ``/rooms``."""
    with transaction() as session:
        values = {"centre": authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN), "row": None}
    if request.method == "GET":
        return _render(kind, form={}, **values)
    form = _form(kind.fields)
    try:
        with transaction() as session:
            body = {**_body(form, editing=False), "job_centre_id": str(job_centre_id)}
            kind.create(session, body, scope=scope(WRITE_ADMIN))
    except ValidationFailed as exc:
        return _render(kind, 422, field_errors(exc, "name"), form=form, **values)
    return _back(job_centre_id, kind.created)


def _edit(kind: Kind, row_id: uuid.UUID) -> Response:
    """A team's or room's form, and its POST: the operation of ``PATCH /api/v1/teams/{id}`` or ``/rooms/{id}``."""
    with transaction() as session:
        row = authorized(session, kind.model, row_id, kind.not_found, WRITE_ADMIN)
        values = {"centre": session.get(JobCentre, row.job_centre_id), "row": row}
        current = kind.current(row)
    if request.method == "GET":
        return _render(kind, form=current, **values)
    form = _form(kind.fields)
    try:
        with transaction() as session:
            authorized(session, kind.model, row_id, kind.not_found, WRITE_ADMIN)
            _row, followed = kind.update(session, row_id, _body(form, editing=True), editor=editor())
    except ValidationFailed as exc:
        return _render(kind, 422, field_errors(exc, "name"), form=form, **values)
    return _back(values["centre"].id, kind.saved, len(followed))


@bp.route("/<uuid:job_centre_id>/teams/nyt", methods=["GET", "POST"])
@requires(WRITE_ADMIN)
def new_team(job_centre_id: uuid.UUID) -> Response:
    """Opret team."""
    return _create(TEAM, job_centre_id)


@bp.route("/team/<uuid:team_id>", methods=["GET", "POST"])
@requires(WRITE_ADMIN)
def team_page(team_id: uuid.UUID) -> Response:
    """Ret team: its name and phone number."""
    return _edit(TEAM, team_id)


@bp.route("/<uuid:job_centre_id>/lokaler/nyt", methods=["GET", "POST"])
@requires(WRITE_ADMIN)
def new_room(job_centre_id: uuid.UUID) -> Response:
    """Opret mødelokale."""
    return _create(ROOM, job_centre_id)


@bp.route("/lokale/<uuid:room_id>", methods=["GET", "POST"])
@requires(WRITE_ADMIN)
def room_page(room_id: uuid.UUID) -> Response:
    """Ret mødelokale: its name, address and seats."""
    return _edit(ROOM, room_id)
