"""The staff's page of the conversation types (A-2): every type with its status and how many
offers have it, read by everyone with a role; those who write admin data at every job
centre add a type, rename one or retire it, with the operation of
``PUT /api/v1/conversation-types/{code}``."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import lazy_gettext

from services.offers.admin import conversation_types
from services.offers.admin.conversation_types import UNKNOWN
from services.offers.blueprint import READ_ADMIN, WRITE_ADMIN, editor, transaction
from services.offers.models import CONVERSATION_CODES, ConversationType
from services.offers.offers.views import local_time
from services.offers.staff_site import error_links, field_errors, staff_blueprint, staff_page
from shared.auth.web import authorize_everywhere, job_centres_allowed, requires
from shared.errors import NotFound, ValidationFailed
from shared.timeutil import DEFAULT_TIMEZONE

bp = staff_blueprint("conversation_type_pages", __name__, url_prefix="/samtaletyper")

SAVED = {
    "oprettet": lazy_gettext("Samtaletypen er tilføjet."),
    "gemt": lazy_gettext("Samtaletypen er gemt."),
}
STATUS = {"nej": lazy_gettext("I brug"), "ja": lazy_gettext("Udgået")}
CODE_PROBLEM = lazy_gettext("Koden skal være et helt tal fra %(low)s til %(high)s.")


def _rows(session: Any) -> list[dict[str, Any]]:
    return [
        {
            **row,
            "status": STATUS["ja" if row["retired"] else "nej"],
            "changed": local_time(row["changed_at"], DEFAULT_TIMEZONE) if row["changed_by"] else None,
        }
        for row in conversation_types.all_types_json(session)
    ]


def _list_page(
    status: int = 200, form: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None
) -> Response:
    errors = errors or {}
    with transaction() as session:
        rows = _rows(session)
    return staff_page(
        "admin/conversation_types.html",
        status,
        rows=rows,
        may_edit=job_centres_allowed(WRITE_ADMIN) is None,
        message=SAVED.get(request.args.get("besked", "")),
        form=form or {},
        errors=errors,
        error_links=error_links(errors),
    )


@bp.get("")
@requires(READ_ADMIN)
def type_list() -> Response:
    """Samtaletyper: the national list, with "Ret" and "Tilføj" for those who may change it."""
    return _list_page()


def _code(text: str) -> int | None:
    low, high = CONVERSATION_CODES
    return int(text) if text.isdigit() and low <= int(text) <= high else None


@bp.post("")
@requires(WRITE_ADMIN)
def add_type() -> Response:
    """Tilføj samtaletype: a new code with its name."""
    authorize_everywhere(WRITE_ADMIN)
    form = {field: request.form.get(field, "").strip()[:200] for field in ("code", "name")}
    code = _code(form["code"])
    if code is None:
        problem = str(CODE_PROBLEM % {"low": CONVERSATION_CODES[0], "high": CONVERSATION_CODES[1]})
        return _list_page(422, form, {"code": [problem]})
    try:
        with transaction() as session:
            conversation_types.put_conversation_type(
                session, code, {"name": form["name"]}, editor=editor(), only_new=True
            )
    except ValidationFailed as exc:
        return _list_page(422, form, field_errors(exc, "name"))
    return redirect(url_for(".type_list", besked="oprettet") + f"#type-{code}", 303)  # type: ignore[return-value]


@bp.route("/<int:code>", methods=["GET", "POST"])
@requires(WRITE_ADMIN)
def edit_type(code: int) -> Response:
    """Ret samtaletype: its name, and whether it is still chosen for new offers."""
    authorize_everywhere(WRITE_ADMIN)
    with transaction() as session:
        row = session.get(ConversationType, code)
        if row is None:
            raise NotFound(UNKNOWN)
        offers = conversation_types.offers_per_type(session).get(code, 0)
        current = {"name": row.name, "retired": "ja" if row.retired else "nej"}
    if request.method == "GET":
        return _edit_page(code, current["name"], offers, current)
    form = {"name": request.form.get("name", "").strip()[:200], "retired": request.form.get("retired", "nej")}
    body = {"name": form["name"], "retired": form["retired"] == "ja"}
    try:
        with transaction() as session:
            conversation_types.put_conversation_type(session, code, body, editor=editor())
    except ValidationFailed as exc:
        return _edit_page(code, current["name"], offers, form, field_errors(exc, "name"), 422)
    return redirect(url_for(".type_list", besked="gemt") + f"#type-{code}", 303)  # type: ignore[return-value]


def _edit_page(
    code: int,
    name: str,
    offers: int,
    form: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Response:
    errors = errors or {}
    return staff_page(
        "admin/conversation_type.html",
        status,
        code=code,
        name=name,
        offers=offers,
        form=form,
        statuses=list(STATUS.items()),
        errors=errors,
        error_links=error_links(errors),
    )
