"""The staff's job-centre pages (A-1, A-3): the centres a person may read, with their
sub-centres, and each centre's closing days: the optional ones (Grundlovsdag, 24 and 31
December) and its own, added and removed by its administrators. Parse, check access, call
the same operations as the JSON API, render."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import lazy_gettext

from services.offers.access import authorized, readable, scope
from services.offers.admin import operations, queries, variants
from services.offers.admin.advisor_view import HEALTH_TEXT, advisor_rows
from services.offers.admin.api import closing_date
from services.offers.admin.conversation_types import choosable_types
from services.offers.admin.team_room_pages import saved_message
from services.offers.blueprint import NO_CENTRE, READ_ADMIN, WRITE_ADMIN, stale_after, transaction
from services.offers.models import JobCentre
from services.offers.rules.reference import load_lists
from services.offers.staff_site import error_links, field_errors, staff_blueprint, staff_page
from shared import formatting as fmt
from shared.auth.web import job_centres_allowed, may_at, requires
from shared.errors import Conflict, Forbidden, ValidationFailed
from shared.pages import page_locale, page_text
from shared.timeutil import DEFAULT_TIMEZONE, today_in, zone
from shared.working_time import OPTIONAL_DAYS

bp = staff_blueprint("admin_pages", __name__, url_prefix="/jobcentre")

OPTIONAL_DAY_NAMES = {
    "constitution_day": lazy_gettext("Grundlovsdag (5. juni)"),
    "christmas_eve": lazy_gettext("Juleaftensdag (24. december)"),
    "new_years_eve": lazy_gettext("Nytårsaftensdag (31. december)"),
}
assert set(OPTIONAL_DAY_NAMES) == set(OPTIONAL_DAYS)
SAVED = {
    "tilfoejet": lazy_gettext("Lukkedagen er tilføjet. Borgerne kan ikke længere booke tider den dag."),
    "fjernet": lazy_gettext("Lukkedagen er fjernet. Vejlederne kan igen få møder den dag."),
    "faste": lazy_gettext("De faste lukkedage er gemt."),
    "oprettet": lazy_gettext("Jobcentret er oprettet. Opret nu dets teams, mødelokaler og vejledere."),
    "variant": lazy_gettext("Varianten er tilføjet. Planlæggerne kan vælge den på nye tilbud."),
    "variant-fjernet": lazy_gettext("Varianten er fjernet. Tilbud, der bruger den, beholder den, til de ændres."),
}


@bp.get("")
@requires(READ_ADMIN)
def centres() -> Response:
    """Jobcentre: every centre the person may read, sub-centres under their centre."""
    with transaction() as session:
        found = list(queries.list_job_centres(session, centres=readable(READ_ADMIN)))
    ids = {centre.id for centre in found}
    tops = [centre for centre in found if centre.parent_id not in ids]
    subs = {centre.id: [sub for sub in found if sub.parent_id == centre.id] for centre in found}
    return staff_page("admin/centres.html", tops=tops, subs=subs, may_create=_may_create_centres())


def _may_create_centres() -> bool:
    """Whether the person administers a code no centre has yet (every code, for IT)."""
    allowed = job_centres_allowed(WRITE_ADMIN)
    if allowed is None:
        return True
    with transaction() as session:
        taken = {centre.code for centre in queries.list_job_centres(session, centres=allowed)}
    return bool(allowed - taken)


CENTRE_FORM = ("code", "name", "parent_id", "region", "timezone")


@bp.route("/nyt", methods=["GET", "POST"])
@requires(WRITE_ADMIN)
def new_centre() -> Response:
    """Opret jobcenter: the same operation as ``POST /api/v1/job-centres`` (the person needs
    the administrator's role at the new code, and at the parent for a sub-centre)."""
    form = {field: request.form.get(field, "").strip() for field in CENTRE_FORM}
    if request.method == "GET":
        return _new_centre_page({"timezone": DEFAULT_TIMEZONE, "parent_id": request.args.get("under", "")})
    try:
        with transaction() as session:
            centre = operations.create_job_centre(
                session, {k: v for k, v in form.items() if v}, scope=scope(WRITE_ADMIN)
            )
            centre_id = centre.id
    except ValidationFailed as exc:
        return _new_centre_page(form, field_errors(exc, "code"), 422)
    except Forbidden:
        message = lazy_gettext("Du kan ikke oprette et jobcenter med den kode: du er ikke administrator for den.")
        return _new_centre_page(form, {"code": [str(message)]}, 403)
    except Conflict as exc:
        return _new_centre_page(form, {"code": [page_text(exc.detail)]}, 409)
    return _back(centre_id, "oprettet")


def _new_centre_page(form: dict[str, str], errors: dict[str, list[str]] | None = None, status: int = 200) -> Response:
    allowed = job_centres_allowed(WRITE_ADMIN)
    with transaction() as session:
        parents = [(str(c.id), f"{c.name} ({c.code})") for c in queries.list_job_centres(session, centres=allowed)]
        regions = [(value, value) for value in load_lists(session).regions.values]
    errors = errors or {}
    return staff_page(
        "admin/new_centre.html",
        status,
        form=form,
        parents=parents,
        regions=regions,
        errors=errors,
        error_links=error_links(errors),
    )


@bp.get("/<uuid:job_centre_id>")
@requires(READ_ADMIN)
def centre_page(job_centre_id: uuid.UUID) -> Response:
    """A job centre: its details, sub-centres and closing days."""
    return _centre_response(job_centre_id)


def _centre_response(
    job_centre_id: uuid.UUID,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    with transaction() as session:
        centre = authorized(session, JobCentre, job_centre_id, NO_CENTRE, READ_ADMIN)
        parent = session.get(JobCentre, centre.parent_id) if centre.parent_id else None
        seen = readable(READ_ADMIN)
        subs = [c for c in queries.list_job_centres(session, centres=seen) if c.parent_id == centre.id]
        today = today_in(zone(centre.timezone))
        days = [(c.day, c.reason) for c in centre.closing_days]
        values: dict[str, Any] = {
            "centre": centre,
            "parent": parent if parent is not None and (seen is None or parent.code in seen) else None,
            "subs": subs,
            "upcoming": [_day(day, reason) for day, reason in days if day >= today],
            "past": len([day for day, _reason in days if day < today]),
            "choices": [(key, OPTIONAL_DAY_NAMES[key]) for key in OPTIONAL_DAYS],
            "health_text": HEALTH_TEXT,
            "variants": [
                {"id": v.id, "type": f"{v.conversation_type} {v.conversation_type_name}", "name": v.name}
                for v in variants.variants_of(session, centre.id)
            ],
            "conversation_types": [(code, f"{code} {name}") for code, name in choosable_types(session).items()],
            "closed": list(centre.closed_optional_days),
            "teams": queries.list_teams(session, centres=seen, job_centre_id=centre.id),
            "rooms": queries.list_rooms(session, centres=seen, job_centre_id=centre.id),
            "advisors": advisor_rows(
                queries.list_advisors(session, centres=seen, job_centre_id=centre.id), stale_after()
            ),
        }
    values["may_edit"] = may_at(WRITE_ADMIN, values["centre"].code)
    key = request.args.get("besked", "")
    message = SAVED.get(key) or saved_message(key, request.args.get("fulgte", ""))
    values["error_links"] = error_links(errors or {})
    return staff_page("admin/centre.html", status, **values, message=message, errors=errors or {}, form=form or {})


def _day(day: date, reason: str) -> dict[str, Any]:
    return {"iso": day.isoformat(), "shown": f"{fmt.day_title(day, page_locale())} {day.year}", "reason": reason}


@bp.post("/<uuid:job_centre_id>/lukkedage")
@requires(WRITE_ADMIN)
def add_closing_day(job_centre_id: uuid.UUID) -> Response:
    """Tilføj lukkedag: the same operation as ``POST /api/v1/job-centres/{id}/closing-days``."""
    form = {"day": request.form.get("day", "").strip(), "reason": request.form.get("reason", "").strip()}
    try:
        with transaction() as session:
            authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
            operations.add_closing_day(session, job_centre_id, {k: v for k, v in form.items() if v})
    except ValidationFailed as exc:
        return _centre_response(job_centre_id, status=422, errors=field_errors(exc, "day"), form=form)
    except Conflict as exc:
        return _centre_response(job_centre_id, status=409, errors={"day": [page_text(exc.detail)]}, form=form)
    return _back(job_centre_id, "tilfoejet")


@bp.post("/<uuid:job_centre_id>/lukkedage/<day>/fjern")
@requires(WRITE_ADMIN)
def remove_closing_day(job_centre_id: uuid.UUID, day: str) -> Response:
    """Fjern lukkedag: the same operation as ``DELETE /api/v1/job-centres/{id}/closing-days/{day}``."""
    with transaction() as session:
        authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
        operations.remove_closing_day(session, job_centre_id, closing_date(day))
    return _back(job_centre_id, "fjernet")


@bp.post("/<uuid:job_centre_id>/varianter")
@requires(WRITE_ADMIN)
def add_variant(job_centre_id: uuid.UUID) -> Response:
    """Tilføj variant: the same operation as ``POST /api/v1/job-centres/{id}/conversation-variants``."""
    form = {"conversation_type": request.form.get("conversation_type", ""), "name": request.form.get("name", "")}
    kind = form["conversation_type"]
    body = {"conversation_type": int(kind) if kind.isdigit() else kind or None, "name": form["name"]}
    try:
        with transaction() as session:
            authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
            variants.add_variant(session, job_centre_id, body)
    except ValidationFailed as exc:
        return _centre_response(job_centre_id, status=422, errors=field_errors(exc, "name"), form=form)
    except Conflict as exc:
        return _centre_response(job_centre_id, status=409, errors={"name": [page_text(exc.detail)]}, form=form)
    return _back(job_centre_id, "variant", "#samtaletyper")


@bp.post("/<uuid:job_centre_id>/varianter/<uuid:variant_id>/fjern")
@requires(WRITE_ADMIN)
def remove_variant(job_centre_id: uuid.UUID, variant_id: uuid.UUID) -> Response:
    """Fjern variant: offers that name it keep it until they are changed."""
    with transaction() as session:
        authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
        variants.remove_variant(session, job_centre_id, variant_id)
    return _back(job_centre_id, "variant-fjernet", "#samtaletyper")


@bp.post("/<uuid:job_centre_id>/faste-lukkedage")
@requires(WRITE_ADMIN)
def optional_closing_days(job_centre_id: uuid.UUID) -> Response:
    """Faste lukkedage: which of Grundlovsdag, 24 and 31 December the centre is closed on."""
    chosen = [key for key in request.form.getlist("closed") if key in OPTIONAL_DAYS]
    with transaction() as session:
        authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
        operations.set_optional_closing_days(session, job_centre_id, chosen)
    return _back(job_centre_id, "faste")


def _back(job_centre_id: uuid.UUID, message: str, anchor: str = "") -> Response:
    target = url_for(".centre_page", job_centre_id=job_centre_id, besked=message) + anchor
    return redirect(target, 303)  # type: ignore[return-value]
