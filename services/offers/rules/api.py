"""JSON routes of the participant rules: explaining an offer's rules for one citizen, and
the reference lists behind the rules (A-5)."""

from __future__ import annotations

import uuid
from typing import Any

from services.offers.access import authorized
from services.offers.blueprint import NO_OFFER, OFFERS, READ_ADMIN, REFERENCE, WRITE_ADMIN, bp, editor, transaction
from services.offers.models import Offer
from services.offers.rules import reference_lists
from services.offers.rules import schemas as se
from services.offers.rules.participant_rules import explain_for_citizen
from shared.auth.access import Action
from shared.auth.web import authorize_everywhere, current_actor, current_route, requires


@bp.post("/offers/<uuid:offer_id>/explain")
@bp.input(se.ExplainIn, arg_name="body", validation=False)
@bp.output(se.ExplainOut)
@bp.doc(
    summary="Explain to staff whether a citizen may see and book the offer, and which rules fail",
    description="The citizen (with the CPR number) travels in the body, never in the URL; every use of a CPR "
    "number is written to the CPR access log with the signed-in caller as the actor and the route.",
    tags=[OFFERS],
    responses={404: "No such offer", 422: "The citizen's fields are not valid (errors.citizen lists each)"},
)
@requires(Action.READ_PARTICIPANTS)
def explain_offer(offer_id: uuid.UUID, body: Any) -> dict[str, Any]:
    with transaction() as session:
        authorized(session, Offer, offer_id, NO_OFFER, Action.READ_PARTICIPANTS)
        return explain_for_citizen(session, offer_id, body, actor=current_actor(), route=current_route())


# --- reference lists (A-5) ---------------------------------------------------------------------------------


@bp.get("/reference-lists")
@bp.output(se.ReferenceListsOut)
@bp.doc(summary="Every reference list behind the participant rules (A-5)", tags=[REFERENCE])
@requires(READ_ADMIN)
def list_reference_lists() -> dict[str, Any]:
    with transaction() as session:
        return {"items": reference_lists.all_lists_json(session)}


@bp.get("/reference-lists/<kind>")
@bp.output(se.ReferenceListDetail)
@bp.doc(summary="One reference list", tags=[REFERENCE], responses={404: "No such list"})
@requires(READ_ADMIN)
def get_reference_list(kind: str) -> dict[str, Any]:
    with transaction() as session:
        return reference_lists.one_list_json(session, kind)


@bp.put("/reference-lists/<kind>")
@bp.input(se.ReferenceListIn, arg_name="body", validation=False)
@bp.output(se.ReferenceListDetail)
@bp.doc(
    summary="Replace a reference list (reforms): values and aliases, or the person-group markers",
    description="Refused with 409 (naming the offers) when an active offer would lose a value it uses. Keep an old "
    "name as an alias of the new value to rename it: offers using it follow and are announced (offer.changed).",
    tags=[REFERENCE],
    responses={404: "No such list", 409: "A value in use would disappear", 422: "The list is not valid"},
)
@requires(WRITE_ADMIN)
def replace_reference_list(kind: str, body: Any) -> dict[str, Any]:
    authorize_everywhere(WRITE_ADMIN)
    with transaction() as session:
        return reference_lists.replace_reference_list(session, kind, body, editor=editor())
