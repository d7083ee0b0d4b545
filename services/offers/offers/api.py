"""JSON routes of the offers: create, list (filtered and sorted), read and change (V-5, V-6)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app

from services.offers.access import authorized, readable, scope
from services.offers.blueprint import (
    NO_CENTRE,
    NO_OFFER,
    OFFERS,
    READ_OFFERS,
    WRITE_OFFERS,
    bp,
    context,
    editor,
    transaction,
)
from services.offers.models import JobCentre, Offer, OfferTemplate
from services.offers.offers import offer_templates, operations
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


# --- templates (A-4) --------------------------------------------------------------------------------------------


@bp.get("/offer-templates")
@bp.input(so.TemplateQuery, location="query", arg_name="query")
@bp.output(so.TemplateList)
@bp.doc(summary="List the templates of offers of the caller's job centres (A-4)", tags=[OFFERS])
@requires(READ_OFFERS)
def list_templates(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        found = offer_templates.templates_of(session, readable(READ_OFFERS))
        wanted = query.get("job_centre_id")
        return {"items": [t for t in found if wanted is None or t.job_centre_id == wanted]}


@bp.post("/offer-templates")
@bp.input(so.TemplateIn, arg_name="body")
@bp.output(so.TemplateOut, status_code=201)
@bp.doc(summary="Create a template of offers (A-4)", tags=[OFFERS], responses={409: "The name is taken"})
@requires(WRITE_OFFERS)
def create_template(body: dict[str, Any]) -> OfferTemplate:
    with transaction() as session:
        authorized(session, JobCentre, body["job_centre_id"], NO_CENTRE, WRITE_OFFERS)
        return offer_templates.create_template(session, body["job_centre_id"], body, editor=editor())


@bp.delete("/offer-templates/<uuid:template_id>")
@bp.output({}, status_code=204)
@bp.doc(summary="Remove a template (offers made from it stay as they are)", tags=[OFFERS])
@requires(WRITE_OFFERS)
def remove_template(template_id: uuid.UUID) -> Any:
    with transaction() as session:
        authorized(session, OfferTemplate, template_id, offer_templates.NOT_FOUND, WRITE_OFFERS)
        offer_templates.remove_template(session, template_id)
    return ""
