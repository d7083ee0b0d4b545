"""The CPR access log, read back: the citizen's right of insight (issue 9).

- ``POST /api/v1/access-log/search`` (administrators): every recorded view of one
  citizen's CPR number in this service, newest first. The CPR number travels in the body,
  and the search is itself a view of it: it is logged with the administrator as actor.
- ``GET /api/v1/access-log/mine`` (a logged-in citizen, where the service has a
  citizen login): the same list about themself.

Each service answers about its own ``cpr_access_log`` (services never read each other's
tables): a full insight asks both offers and booking. Rows are found by the CPR number's
keyed index under every configured key (``CprVault.indexes``), so rows written before a
key rotation are found too; the answer never shows the number.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import AwareDateTime, List, Nested, String
from apiflask.validators import Length
from flask import current_app
from sqlalchemy import select

from shared.audit import CITIZEN_SELF, CprAccessLogMixin, record_cpr_access
from shared.auth.access import Action
from shared.auth.web import current_actor, current_citizen, current_route, requires
from shared.cpr import Cpr, InvalidCpr, parse_cpr
from shared.cpr_vault import vault_for_settings
from shared.errors import ValidationFailed
from shared.service import ServiceContext

MAX_ENTRIES = 1000
TAG = "Adgang til CPR-numre"


class CprIn(Schema):
    cpr = String(
        required=True,
        validate=Length(min=1, max=20),
        metadata={"description": "The citizen's CPR number (DDMMYY-SSSS or ten digits). Never returned."},
    )


class SearchIn(Schema):
    citizen = Nested(CprIn, required=True)


class EntryOut(Schema):
    at = AwareDateTime(required=True, metadata={"description": "When the CPR number was used."})
    actor = String(
        required=True,
        metadata={"description": "Who: staff:<user id>, machine:<key or client id>, or citizen-self."},
    )
    actor_kind = String(required=True, metadata={"enum": ["borger", "medarbejder", "system"]})
    purpose = String(required=True, metadata={"description": "Why, e.g. booking, cancel_booking, explain."})
    route = String(required=True, metadata={"description": "The API route that used it."})


class EntriesOut(Schema):
    items = List(Nested(EntryOut), required=True)


def _kind(actor: str) -> str:
    if actor == CITIZEN_SELF:
        return "borger"
    return "medarbejder" if actor.startswith("staff:") else "system"


def _entries(model: type[CprAccessLogMixin], cpr: Cpr) -> dict[str, Any]:
    context: ServiceContext = current_app.extensions["planner"]
    subject = model.subject_cpr_index.in_(vault_for_settings(context.settings).indexes(cpr))
    with context.db.transaction() as session:
        newest_first = (model.at.desc(), model.id.desc())
        query = select(model).where(subject).order_by(*newest_first).limit(MAX_ENTRIES)
        rows = session.scalars(query).all()
        items = [
            {"at": r.at, "actor": r.actor, "actor_kind": _kind(r.actor), "purpose": r.purpose, "route": r.route}
            for r in rows
        ]
    return {"items": items}


def cpr_access_blueprint(model: type[CprAccessLogMixin], *, citizens_log_in: bool) -> APIBlueprint:
    """The insight routes over ``model`` (the service's ``CprAccessLog``); the citizen's own
    view only where ``citizens_log_in`` (booking)."""
    bp = APIBlueprint("cpr_access_log", __name__, url_prefix="/api/v1/access-log", tag=TAG)

    @bp.post("/search")
    @bp.input(SearchIn, arg_name="body")
    @bp.output(EntriesOut)
    @bp.doc(
        summary="Every use of one citizen's CPR number in this service (the citizen's right of insight)",
        description="For administrators. The search is itself recorded, with the administrator as actor, and "
        f"is the first entry of its own answer. Newest first, at most {MAX_ENTRIES}.",
        responses={422: "The CPR number is not valid (problem document)"},
        tags=[TAG],
    )
    @requires(Action.READ_CPR_ACCESS_LOG)
    def search(body: dict[str, Any]) -> dict[str, Any]:
        try:
            cpr = parse_cpr(body["citizen"]["cpr"])
        except InvalidCpr as exc:
            raise ValidationFailed(str(exc), extra={"errors": {"citizen": {"cpr": [str(exc)]}}}) from None
        context: ServiceContext = current_app.extensions["planner"]
        vault = vault_for_settings(context.settings)
        with context.db.transaction() as session:
            record_cpr_access(
                session, model, actor=current_actor(), purpose="insight", cpr=cpr, route=current_route(), vault=vault
            )
        return _entries(model, cpr)

    if citizens_log_in:

        @bp.get("/mine")
        @bp.output(EntriesOut)
        @bp.doc(summary="Every use of my own CPR number in this service (for the logged-in citizen)", tags=[TAG])
        @requires(Action.CITIZEN_SELF_SERVICE)
        def mine() -> dict[str, Any]:
            citizen = current_citizen()
            assert citizen is not None  # only citizens may do citizen self-service (the mark)
            return _entries(model, citizen.cpr)

    return bp
