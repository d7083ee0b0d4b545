"""The staff's page of the reference lists behind the participant rules (A-5): every list
with its values, former names (aliases) and the person-group markers, read by everyone
with a role; those who write admin data at every job centre replace a list (reforms), with
the same operation as ``PUT /api/v1/reference-lists/{kind}``: a value in use is refused
with the offers named, a renamed value kept as an alias rewrites the offers using it."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import gettext, lazy_gettext

from services.offers.blueprint import READ_ADMIN, WRITE_ADMIN, editor, transaction
from services.offers.models import REFERENCE_KINDS
from services.offers.rules import reference_lists
from services.offers.rules.reference import MARKERS
from services.offers.staff_site import error_links, staff_blueprint, staff_page
from shared.auth.web import authorize_everywhere, job_centres_allowed, requires
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.pages import page_text

bp = staff_blueprint("reference_pages", __name__, url_prefix="/referencelister")

LEVELS = {"state": lazy_gettext("Stat"), "region": lazy_gettext("Region"), "job_centre": lazy_gettext("Jobcenter")}
MAX_FORM = 100_000
"""The most text a list's form takes (the API's body limit applies too)."""


def _kind(kind: str) -> str:
    if kind not in REFERENCE_KINDS:
        raise NotFound(reference_lists.UNKNOWN_LIST)
    return kind


@bp.get("")
@requires(READ_ADMIN)
def lists() -> Response:
    """Referencelister: every list, with links to change one for those who may."""
    with transaction() as session:
        found = reference_lists.all_lists_json(session)
    return staff_page(
        "rules/lists.html",
        lists=found,
        levels=LEVELS,
        may_edit=job_centres_allowed(WRITE_ADMIN) is None,
        message=lazy_gettext("Listen er gemt.") if request.args.get("besked") == "gemt" else None,
    )


def form_of(listed: dict[str, Any]) -> dict[str, str]:
    """A list as its form's text: a value per line, ``old = new`` per alias, and for the
    markers ``CODE; name; level; owner`` per marker."""
    if listed["kind"] == MARKERS:
        lines = [
            f"{m['code']}; {m['name']}; {m['level']}; {m.get('owner') or ''}".rstrip("; ") for m in listed["markers"]
        ]
        return {"markers": "\n".join(lines)}
    aliases = "\n".join(f"{old} = {new}" for old, new in listed["aliases"].items())
    return {"values": "\n".join(listed["values"]), "aliases": aliases}


def body_of(kind: str, form: dict[str, str]) -> dict[str, Any]:
    """The form's text as the operation's body; a line that is not ``old = new`` stays a
    problem of the operation's (an alias to nothing)."""
    lines = [line.strip() for line in form.get("markers" if kind == MARKERS else "values", "").splitlines()]
    if kind == MARKERS:
        markers = []
        for line in filter(None, lines):
            code, name, level, owner = ([part.strip() for part in line.split(";")] + ["", "", "", ""])[:4]
            markers.append({"code": code, "name": name, "level": level, "owner": owner or None})
        return {"markers": markers}
    aliases: dict[str, str] = {}
    for line in filter(None, (line.strip() for line in form.get("aliases", "").splitlines())):
        old, _, new = line.partition("=")
        aliases[old.strip()] = new.strip()
    return {"values": [line for line in lines if line], "aliases": aliases}


def _problems(exc: ValidationFailed, field: str) -> dict[str, list[str]]:
    """The operation's problems at the form's one text field, each with the line it names."""
    found: list[str] = []
    for messages in exc.extra.get("errors", {}).values():
        for message in messages:
            if isinstance(message, dict):
                found.append(_located(str(message.get("path", "")), page_text(str(message.get("message", "")))))
            else:
                found.append(str(page_text(message)))
    return {field: found or [str(page_text(exc.detail))]}


def _located(path: str, text: str) -> str:
    """A problem with the line of the form it is on (``/values/1``: "Linje 2"), else as it is."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last.isdigit():
        return str(gettext("Linje %(line)s: %(problem)s", line=int(last) + 1, problem=text))
    return str(text)


@bp.route("/<kind>", methods=["GET", "POST"])
@requires(WRITE_ADMIN)
def edit(kind: str) -> Response:
    """Ret en liste: the whole list as text, saved as one replacement."""
    authorize_everywhere(WRITE_ADMIN)
    _kind(kind)
    with transaction() as session:
        listed = reference_lists.one_list_json(session, kind)
    field = "markers" if kind == MARKERS else "values"
    if request.method == "GET":
        return _edit_page(listed, form_of(listed))
    form = {key: request.form.get(key, "")[:MAX_FORM] for key in ("values", "aliases", "markers")}
    try:
        with transaction() as session:
            reference_lists.replace_reference_list(session, kind, body_of(kind, form), editor=editor())
    except ValidationFailed as exc:
        return _edit_page(listed, form, _problems(exc, field), 422)
    except Conflict as exc:
        return _edit_page(listed, form, {field: [str(page_text(exc.detail))]}, 409)
    return redirect(url_for(".lists", besked="gemt") + f"#{kind}", 303)  # type: ignore[return-value]


def _edit_page(
    listed: dict[str, Any], form: dict[str, str], errors: dict[str, list[str]] | None = None, status: int = 200
) -> Response:
    errors = errors or {}
    return staff_page(
        "rules/edit_list.html", status, listed=listed, form=form, errors=errors, error_links=error_links(errors)
    )
