"""POST /api/v1/citizens: IT imports citizen profiles into the booking store.

The profiles belong to no one job centre, so the import needs the right to write
participants at every centre (an administrator or planner grant at ``*``: IT's key); a
staff member of some centres gets 403, and a citizen can never rewrite a profile (403).
It only writes, it never shows a profile.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import current_app, request

from services.booking.citizens.store import import_profiles
from services.booking.schemas import CitizenProfileIn, ImportOut
from shared.auth.access import Action
from shared.auth.web import authorize_everywhere, requires
from shared.cpr_vault import vault_for_settings
from shared.errors import ValidationFailed
from shared.service import ServiceContext

bp = APIBlueprint("citizens", __name__, url_prefix="/api/v1", tag="Borgerdata")
IMPORT_PATH = "/api/v1/citizens"


def document_import_as_list(spec: dict[str, Any]) -> dict[str, Any]:
    """APIFlask documents a ``many=True`` body as one object; the import takes a list."""
    body = spec.get("paths", {}).get(IMPORT_PATH, {}).get("post", {}).get("requestBody")
    if body is not None:
        content = body["content"]["application/json"]
        if content["schema"].get("type") != "array":
            content["schema"] = {"type": "array", "items": content["schema"]}
        csv = {"type": "string", "description": "CSV with a header of the import's field names."}
        body["content"]["text/csv"] = {"schema": csv}
    return spec


@bp.post("/citizens")
@bp.input(CitizenProfileIn(many=True), location="json", arg_name="body", validation=False)
@bp.output(ImportOut)
@bp.doc(
    summary="Import citizen profiles (replacing those already known)",
    description="A JSON list of citizens with the profile import's field names, or text/csv with those names as "
    "the header (lists separated by ';'). All or nothing: 422 lists every problem as {path, code, message}. "
    "Needs the right to write participants at every job centre (IT's key); citizens never.",
    responses={
        403: "Only an identity that may write participants at every job centre imports profiles (problem document)",
        422: "A profile is not valid (errors.citizens lists each problem)",
    },
)
@requires(Action.WRITE_PARTICIPANTS)
def import_citizens(body: Any) -> dict[str, int]:
    authorize_everywhere(Action.WRITE_PARTICIPANTS)
    context: ServiceContext = current_app.extensions["planner"]
    vault = vault_for_settings(context.settings)
    if request.mimetype in ("text/csv", "application/csv"):
        return import_profiles(context.db, request.get_data(as_text=True), csv=True, vault=vault)
    if not isinstance(body, list | dict):
        problem = {"path": "", "code": "not_a_list", "message": "Send en liste af borgere."}
        raise ValidationFailed(
            "Send borgerne som en JSON-liste (eller CSV med Content-Type: text/csv).",
            extra={"errors": {"citizens": [problem]}},
        )
    return import_profiles(context.db, body, vault=vault)
