"""The staff's pages for templates of offers (A-4, O-2): the templates of the person's job
centres, "Gem som skabelon" from an offer, and removing one. (The wizard's step 1 fills its
fields from a template.) Parse, check access, call the same operations as the JSON API
(``offer_templates``), render."""

from __future__ import annotations

import uuid

from flask import Response, redirect, request, url_for
from flask_babel import lazy_gettext

from services.offers.access import authorized, readable
from services.offers.blueprint import NO_OFFER, READ_OFFERS, WRITE_OFFERS, editor, transaction
from services.offers.models import JobCentre, Offer, OfferTemplate
from services.offers.offers import offer_templates
from services.offers.staff_site import error_links, field_errors, staff_blueprint, staff_page
from shared.auth.web import may_at, requires
from shared.errors import Conflict, ValidationFailed
from shared.pages import page_text

bp = staff_blueprint("template_pages", __name__, url_prefix="/tilbud")

SAVED = {
    "oprettet": lazy_gettext("Skabelonen er gemt. Planlæggerne kan vælge den i trin 1, når de opretter et tilbud."),
    "fjernet": lazy_gettext("Skabelonen er fjernet. Tilbud, der er lavet ud fra den, er uændrede."),
}


@bp.get("/skabeloner")
@requires(READ_OFFERS)
def templates() -> Response:
    """Skabeloner: the templates of the person's job centres."""
    with transaction() as session:
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "centre": session.get(JobCentre, t.job_centre_id),
                "by": t.created_by_name or "–",
                "fields": len(t.fields),
            }
            for t in offer_templates.templates_of(session, readable(READ_OFFERS))
        ]
    for row in rows:
        row["may_remove"] = may_at(WRITE_OFFERS, row["centre"].code)
    return staff_page("offers/templates.html", rows=rows, message=SAVED.get(request.args.get("besked", "")))


@bp.route("/<uuid:offer_id>/skabelon", methods=["GET", "POST"])
@requires(WRITE_OFFERS)
def save_as_template(offer_id: uuid.UUID) -> Response:
    """Gem som skabelon: the offer's fields but its dates, under a name of the centre's."""
    with transaction() as session:
        offer = authorized(session, Offer, offer_id, NO_OFFER, WRITE_OFFERS)
        fields, centre_id, offer_name = offer_templates.fields_of_offer(offer), offer.job_centre_id, offer.name
    form = {"name": request.form.get("name", "").strip() if request.method == "POST" else offer_name}
    values = {"offer_id": offer_id, "offer_name": offer_name, "count": len(fields), "form": form}
    if request.method == "GET":
        return staff_page("offers/save_template.html", **values, errors={}, error_links=[])
    try:
        with transaction() as session:
            body = {"name": form["name"], "fields": fields}
            offer_templates.create_template(session, centre_id, body, editor=editor())
    except ValidationFailed as exc:
        errors = field_errors(exc, "name")
        return staff_page("offers/save_template.html", 422, **values, errors=errors, error_links=error_links(errors))
    except Conflict as exc:
        errors = {"name": [page_text(exc.detail)]}
        return staff_page("offers/save_template.html", 409, **values, errors=errors, error_links=error_links(errors))
    return redirect(url_for(".templates", besked="oprettet"), 303)  # type: ignore[return-value]


@bp.post("/skabeloner/<uuid:template_id>/slet")
@requires(WRITE_OFFERS)
def remove(template_id: uuid.UUID) -> Response:
    """Fjern skabelon: the same operation as ``DELETE /api/v1/offer-templates/{id}``."""
    with transaction() as session:
        authorized(session, OfferTemplate, template_id, offer_templates.NOT_FOUND, WRITE_OFFERS)
        offer_templates.remove_template(session, template_id)
    return redirect(url_for(".templates", besked="fjernet"), 303)  # type: ignore[return-value]
