"""The staff's page of one advisor: calendar health (last read, last error, the objects
it could not read), "Læs kalenderen nu", and, for the centre's administrators, the forms
for the advisor's details and teams, calendar connection, weekly working hours and date
exceptions. Parse, check access, call the same operations as the JSON API (``advisors``),
render. A stored calendar password is never shown or sent back to the browser."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import lazy_gettext
from markupsafe import Markup

from services.offers.access import authorized, scope
from services.offers.admin import advisors, queries
from services.offers.admin.advisor_view import (
    ERROR_SHOWN,
    HEALTH_TEXT,
    WEEKDAY_NAMES,
    chosen_team_ids,
    health_key,
    hours_form,
    read_spans,
    spans_text,
    team_choices,
    upcoming_exceptions,
)
from services.offers.admin.api import path_date
from services.offers.blueprint import (
    NO_ADVISOR,
    NO_CENTRE,
    READ_ADMIN,
    WRITE_ADMIN,
    WRITE_CALENDARS,
    context,
    editor,
    stale_after,
    transaction,
)
from services.offers.models import Advisor, JobCentre
from services.offers.staff_site import error_links, field_errors, staff_blueprint, staff_page
from shared import formatting as fmt
from shared.auth.web import may_at, requires
from shared.errors import Conflict, ValidationFailed
from shared.pages import page_locale, page_text
from shared.timeutil import today_in, zone
from shared.working_time import WEEKDAYS

bp = staff_blueprint("advisor_pages", __name__, url_prefix="/jobcentre")

SAVED = {
    "oplysninger": lazy_gettext("Vejlederens oplysninger er gemt."),
    "kalender": lazy_gettext("Kalenderforbindelsen er gemt. Kalenderen læses igen om lidt."),
    "arbejdstid": lazy_gettext("Arbejdstiden er gemt. Borgerne ser de nye tider om lidt."),
    "undtagelse": lazy_gettext("Undtagelsen er gemt."),
    "undtagelse-fjernet": lazy_gettext("Undtagelsen er fjernet. Den almindelige arbejdstid gælder igen den dag."),
    "synk": lazy_gettext("Kalenderen læses igen om lidt. Genindlæs siden for at se resultatet."),
    "oprettet": lazy_gettext("Vejlederen er oprettet. Borgerne kan booke vejlederens tider, når kalenderen er læst."),
}
DETAILS = ("name", "email", "phone")
CALENDAR = ("caldav_url", "caldav_username")


def _moment(value: Any, timezone: str) -> str | None:
    if value is None:
        return None
    local = value.astimezone(zone(timezone))
    return f"{fmt.long_date(local.date(), page_locale())} {fmt.clock(local, page_locale())}"


@bp.get("/vejleder/<uuid:advisor_id>")
@requires(READ_ADMIN)
def advisor_page(advisor_id: uuid.UUID) -> Response:
    """Vejleder: details, calendar health, working hours and date exceptions."""
    return _advisor_response(advisor_id)


def _advisor_response(
    advisor_id: uuid.UUID,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    with transaction() as session:
        advisor = authorized(session, Advisor, advisor_id, NO_ADVISOR, READ_ADMIN)
        centre = session.get(JobCentre, advisor.job_centre_id)
        assert centre is not None
        teams = team_choices(queries.list_teams(session, centres=None, job_centre_id=centre.id))
        tz = advisor.timezone
        health = health_key(advisor, stale_after())
        current = {
            "name": advisor.name,
            "email": advisor.email or "",
            "phone": advisor.phone or "",
            "caldav_url": advisor.caldav_url or "",
            "caldav_username": advisor.caldav_username or "",
            "team_ids": [str(i) for i in advisor.team_ids],
            **hours_form(advisor.working_hours or {}),
        }
        hours = [(WEEKDAY_NAMES[day], spans_text((advisor.working_hours or {}).get(day, []))) for day in WEEKDAYS]
        values: dict[str, Any] = {
            "advisor": advisor,
            "centre": centre,
            "health": health,
            "health_text": HEALTH_TEXT[health],
            "last_success": _moment(advisor.calendar_last_success_at, tz),
            "last_attempt": _moment(advisor.calendar_last_attempt_at, tz),
            "last_error": (advisor.calendar_last_error or "")[:ERROR_SHOWN],
            "has_password": advisor.caldav_password_encrypted is not None,
            "teams": teams,
            "team_names": ", ".join(t.name for t in advisor.teams),
            "hours": hours,
            "weekdays": [(f"hours-{day}", WEEKDAY_NAMES[day]) for day in WEEKDAYS],
            "exceptions": [
                {**row, "shown": f"{fmt.day_title(row['day'], page_locale())} {row['day'].year}"}
                for row in upcoming_exceptions(advisor.working_exceptions or {}, today_in(zone(tz)))
            ],
        }
        code = centre.code
    values["may_edit"] = may_at(WRITE_ADMIN, code)
    values["may_sync"] = may_at(WRITE_CALENDARS, code) and bool(values["advisor"].caldav_url)
    message = SAVED.get(request.args.get("besked", ""))
    errors = errors or {}
    return staff_page(
        "admin/advisor.html",
        status,
        **values,
        form={**current, **(form or {})},
        errors=errors,
        error_links=error_links(errors),
        message=message,
    )


def _back(advisor_id: uuid.UUID, message: str) -> Response:
    return redirect(url_for(".advisor_page", advisor_id=advisor_id, besked=message), 303)  # type: ignore[return-value]


def _change(advisor_id: uuid.UUID, changes: dict[str, Any], form: dict[str, Any], field: str, message: str) -> Response:
    """``PATCH /api/v1/advisors/{id}`` with ``changes``; its problems are shown at their fields."""
    try:
        with transaction() as session:
            authorized(session, Advisor, advisor_id, NO_ADVISOR, WRITE_ADMIN)
            advisors.update_advisor(session, advisor_id, changes, editor=editor(), **_writes())
    except ValidationFailed as exc:
        errors = field_errors(exc, field)
        if "working_hours" in errors:
            errors["hours-mon"] = errors.pop("working_hours")
        return _advisor_response(advisor_id, status=422, errors=errors, form=form)
    return _back(advisor_id, message)


def _writes() -> dict[str, Any]:
    settings = context().settings
    return {
        "scope": scope(WRITE_ADMIN),
        "secret_keys": settings.secret_keys,
        "check_calendar_url": context().check_calendar_url,
    }


NEW_HOURS = {f"hours-{day}": "08:00-16:00" for day in WEEKDAYS[:5]}
"""A new advisor's working hours until staff change them: weekdays 08:00-16:00."""


@bp.route("/<uuid:job_centre_id>/vejledere/ny", methods=["GET", "POST"])
@requires(WRITE_ADMIN)
def new_advisor(job_centre_id: uuid.UUID) -> Response:
    """Opret vejleder: the same operation as ``POST /api/v1/advisors``."""
    with transaction() as session:
        centre = authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
        teams = team_choices(queries.list_teams(session, centres=None, job_centre_id=centre.id))
    values = {"centre": centre, "teams": teams, "weekdays": [(f"hours-{d}", WEEKDAY_NAMES[d]) for d in WEEKDAYS]}
    if request.method == "GET":
        return _new_page(values, {"team_ids": [], **NEW_HOURS})
    fields = (*DETAILS, *CALENDAR, *(f"hours-{day}" for day in WEEKDAYS))
    form: dict[str, Any] = {field: request.form.get(field, "").strip() for field in fields}
    form["team_ids"] = request.form.getlist("team_ids")
    hours, errors = _hours_from(form)
    if errors:
        return _new_page(values, form, errors, 422)
    body: dict[str, Any] = {field: form[field] or None for field in (*DETAILS, *CALENDAR)}
    team_ids = chosen_team_ids(form["team_ids"], teams)
    body |= {"job_centre_id": str(job_centre_id), "working_hours": hours, "team_ids": team_ids}
    if request.form.get("caldav_password"):
        body["caldav_password"] = request.form["caldav_password"]
    try:
        with transaction() as session:
            advisor = advisors.create_advisor(session, body, **_writes())
            advisor_id = advisor.id
    except ValidationFailed as exc:
        found = field_errors(exc, "name")
        if "working_hours" in found:
            found["hours-mon"] = found.pop("working_hours")
        return _new_page(values, form, found, 422)
    return _back(advisor_id, "oprettet")


def _new_page(
    values: dict[str, Any], form: dict[str, Any], errors: dict[str, list[str]] | None = None, status: int = 200
) -> Response:
    errors = errors or {}
    links = error_links(errors)
    return staff_page("admin/new_advisor.html", status, **values, form=form, errors=errors, error_links=links)


def _hours_from(form: dict[str, Any]) -> tuple[dict[str, list[list[str]]], dict[str, list[str]]]:
    """The weekly hours of the form's ``hours-mon`` ... fields, and each day's problem."""
    errors: dict[str, list[str]] = {}
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        read = read_spans(form.get(f"hours-{day}", ""))
        if read.problem:
            errors[f"hours-{day}"] = [Markup("%s: %s") % (WEEKDAY_NAMES[day], page_text(read.problem))]
        elif read.spans:
            hours[day] = read.spans
    return hours, errors


@bp.post("/vejleder/<uuid:advisor_id>/oplysninger")
@requires(WRITE_ADMIN)
def details(advisor_id: uuid.UUID) -> Response:
    """Name, e-mail, phone and teams."""
    form: dict[str, Any] = {field: request.form.get(field, "").strip() for field in DETAILS}
    with transaction() as session:
        advisor = authorized(session, Advisor, advisor_id, NO_ADVISOR, WRITE_ADMIN)
        teams = team_choices(queries.list_teams(session, centres=None, job_centre_id=advisor.job_centre_id))
    form["team_ids"] = request.form.getlist("team_ids")
    changes = {field: form[field] or None for field in DETAILS}
    changes["name"] = form["name"]
    changes["team_ids"] = chosen_team_ids(form["team_ids"], teams)
    return _change(advisor_id, changes, form, "name", "oplysninger")


@bp.post("/vejleder/<uuid:advisor_id>/kalender")
@requires(WRITE_ADMIN)
def calendar(advisor_id: uuid.UUID) -> Response:
    """The calendar's address, user name and password (left empty: the stored one stays)."""
    form: dict[str, Any] = {field: request.form.get(field, "").strip() for field in CALENDAR}
    changes: dict[str, Any] = {field: form[field] or None for field in CALENDAR}
    password = request.form.get("caldav_password", "")
    if password:
        changes["caldav_password"] = password
    elif request.form.get("remove_password"):
        changes["caldav_password"] = None
    return _change(advisor_id, changes, form, "caldav_url", "kalender")


@bp.post("/vejleder/<uuid:advisor_id>/arbejdstid")
@requires(WRITE_ADMIN)
def working_hours(advisor_id: uuid.UUID) -> Response:
    """The weekly working hours, one field per weekday ("08:00-12:00, 12:30-15:30")."""
    form = {f"hours-{day}": request.form.get(f"hours-{day}", "").strip() for day in WEEKDAYS}
    hours, errors = _hours_from(form)
    if errors:
        return _advisor_response(advisor_id, status=422, errors=errors, form=form)
    return _change(advisor_id, {"working_hours": hours}, form, "hours-mon", "arbejdstid")


@bp.post("/vejleder/<uuid:advisor_id>/undtagelser")
@requires(WRITE_ADMIN)
def add_exception(advisor_id: uuid.UUID) -> Response:
    """A date exception: other working hours on one date, or a day off (the hours left empty)."""
    form = {"day": request.form.get("day", "").strip(), "hours": request.form.get("hours", "").strip()}
    read = read_spans(form["hours"])
    if read.problem:
        return _advisor_response(advisor_id, status=422, errors={"hours": [page_text(read.problem)]}, form=form)
    try:
        with transaction() as session:
            authorized(session, Advisor, advisor_id, NO_ADVISOR, WRITE_ADMIN)
            data = {"day": form["day"] or None, "spans": read.spans}
            advisors.set_working_exception(session, advisor_id, data, editor=editor(), **_writes())
    except ValidationFailed as exc:
        errors = field_errors(exc, "day")
        if "working_exceptions" in errors:
            errors["hours"] = errors.pop("working_exceptions")
        return _advisor_response(advisor_id, status=422, errors=errors, form=form)
    return _back(advisor_id, "undtagelse")


@bp.post("/vejleder/<uuid:advisor_id>/undtagelser/<day>/fjern")
@requires(WRITE_ADMIN)
def remove_exception(advisor_id: uuid.UUID, day: str) -> Response:
    """Fjern undtagelse: the weekly hours apply again that day."""
    when = path_date(day, "Undtagelsen findes ikke (skriv datoen som ÅÅÅÅ-MM-DD).", "working_exception_unknown")
    with transaction() as session:
        authorized(session, Advisor, advisor_id, NO_ADVISOR, WRITE_ADMIN)
        advisors.remove_working_exception(session, advisor_id, when, editor=editor(), **_writes())
    return _back(advisor_id, "undtagelse-fjernet")


@bp.post("/vejleder/<uuid:advisor_id>/synk")
@requires(WRITE_CALENDARS)
def sync_now(advisor_id: uuid.UUID) -> Response:
    """Læs kalenderen nu: the same operation as ``POST /api/v1/advisors/{id}/sync``."""
    try:
        with transaction() as session:
            authorized(session, Advisor, advisor_id, NO_ADVISOR, WRITE_CALENDARS)
            advisors.request_calendar_sync(session, advisor_id)
    except Conflict as exc:
        return _advisor_response(advisor_id, status=409, errors={"synk": [page_text(exc.detail)]})
    return _back(advisor_id, "synk")
