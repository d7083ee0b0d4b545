"""JSON routes of the offers: create, list (filtered and sorted), read and change (V-5, V-6)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app

from services.offers.access import authorized, readable, scope
from services.offers.blueprint import NO_OFFER, OFFERS, READ_OFFERS, WRITE_OFFERS, bp, context, editor, transaction
from services.offers.models import Offer
from services.offers.offers import operations
from services.offers.offers import schemas as so
from services.offers.offers.offer_list import PreparedOfferLists
from shared.auth.web import requires

# --- offers ----------------------------------------------------------------------------------------------------


@bp.post("/offers")
@bp.input(so.OfferIn, arg_name="body")
@bp.output(so.OfferOut, status_code=201)
@bp.doc(summary="Create an individual offer (published to citizens when active and open)", tags=[OFFERS])
@requires(WRITE_OFFERS)
def create_offer(body: dict[str, Any]) -> Offer:
    with transaction() as session:
        return operations.create_offer(session, body, scope=scope(WRITE_OFFERS), editor=editor())


@bp.get("/offers")
@bp.input(so.OfferQuery, location="query", arg_name="query")
@bp.output(so.OfferList)
@bp.doc(summary="List offers, filtered and sorted (V-1, V-2)", tags=[OFFERS])
@requires(READ_OFFERS)
def list_offers(query: dict[str, Any]) -> Response:
    lists: PreparedOfferLists = current_app.extensions["offers.lists"]
    body = lists.body(context().db, readable(READ_OFFERS), query)
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/offers/<uuid:offer_id>")
@bp.output(so.OfferOut)
@bp.doc(summary="Get an offer", tags=[OFFERS])
@requires(READ_OFFERS)
def get_offer(offer_id: uuid.UUID) -> Offer:
    with transaction() as session:
        return authorized(session, Offer, offer_id, NO_OFFER, READ_OFFERS)


@bp.patch("/offers/<uuid:offer_id>")
@bp.input(so.OfferPatch(partial=True), arg_name="body")
@bp.output(so.OfferOut)
@bp.doc(summary="Change an offer (only the fields given); active=false hides it (V-5, V-6)", tags=[OFFERS])
@requires(WRITE_OFFERS)
def update_offer(offer_id: uuid.UUID, body: dict[str, Any]) -> Offer:
    with transaction() as session:
        authorized(session, Offer, offer_id, NO_OFFER, WRITE_OFFERS)
        return operations.update_offer(session, offer_id, body, scope=scope(WRITE_OFFERS), editor=editor())
