"""The staff's offer pages: the offer list (V-1, V-2: filter, sort and page through every
offer the person may read) and the offer page (V-3: details, status, last changed, the
revision log; V-5: activate and deactivate). Parse, check access, call, render."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import gettext, lazy_gettext
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.access import authorized, readable, scope
from services.offers.admin.conversation_types import type_names
from services.offers.blueprint import NO_OFFER, READ_OFFERS, WRITE_OFFERS, editor, transaction
from services.offers.listing import Listing, page_number
from services.offers.lookup import centre_ids
from services.offers.meetings import pages as meeting_pages
from services.offers.models import Advisor, JobCentre, Offer, Room, Team
from services.offers.offers import operations, queries, revisions, views
from services.offers.offers.schemas import UNKNOWN_TYPE, OfferQuery
from services.offers.participants.view import participant_section
from services.offers.rules.reference import load_lists, reference_for
from services.offers.staff_site import staff_blueprint, staff_page
from shared.auth.web import may_at, requires
from shared.errors import ValidationFailed
from shared.pages import page_text

bp = staff_blueprint("offer_pages", __name__, url_prefix="/tilbud")

FILTERS = ("name", "team_id", "conversation_type", "meeting_form", "channel", "contact_group", "active")
STATUS_CHANGED = {
    "aktiveret": lazy_gettext("Tilbuddet er aktivt: borgerne kan se og booke det."),
    "deaktiveret": lazy_gettext("Tilbuddet er deaktiveret: borgerne kan ikke længere se det."),
    "aendret": lazy_gettext("Ændringerne er gemt. Bookinger, der allerede er lavet, beholder deres vilkår."),
    "oprettet": lazy_gettext("Tilbuddet er gemt og aktivt: borgerne kan booke det, fra det åbner."),
    "faellesmoede-oprettet": lazy_gettext("Fællesmødet er gemt. Tilføj nu møderne: dato, klokkeslæt og pladser."),
    "oprettet-inaktivt": lazy_gettext(
        "Tilbuddet er gemt som inaktivt: borgerne kan ikke se det, før du aktiverer det."
    ),
}
SORT_COLUMNS = {
    "name": lazy_gettext("Navn"),
    "conversation_type": lazy_gettext("Samtaletype"),
    "meeting_form": lazy_gettext("Mødeform"),
    "channel": lazy_gettext("Kanal"),
    "team": lazy_gettext("Team"),
    "active": lazy_gettext("Status"),
    "updated_at": lazy_gettext("Senest ændret"),
}


def _teams(session: Session, centres: frozenset[str] | None) -> list[Team]:
    query = select(Team).order_by(Team.name, Team.id)
    if centres is not None:
        query = query.where(Team.job_centre_id.in_(centre_ids(centres)))
    return list(session.scalars(query))


def _names(session: Session, offers: list[Offer]) -> views.Names:
    """The names of the teams, rooms and advisors the offers (and their logs) name."""
    centres = {offer.job_centre_id for offer in offers}

    def named(model: Any) -> dict[uuid.UUID, str]:
        return dict(session.execute(select(model.id, model.name).where(model.job_centre_id.in_(centres))).all())

    return views.Names(named(Team), named(Room), named(Advisor), type_names(session))


def _filters(types: Mapping[int, str]) -> tuple[dict[str, str], dict[str, Any], dict[str, list[str]]]:
    """The filter form as sent (kept in links), the filters parsed, and each field's problems;
    a conversation type not among ``types`` is one (the form offers only those)."""
    sent = {key: request.args.get(key, "").strip() for key in (*FILTERS, "sort", "order")}
    sent = {key: value for key, value in sent.items() if value}
    errors: dict[str, list[str]] = {}
    try:
        parsed = OfferQuery().load(sent)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        errors = {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in messages.items()}
    else:
        if parsed.get("conversation_type") not in (None, *types):
            errors = {"conversation_type": [UNKNOWN_TYPE]}
    if errors:
        cleaned = {key: value for key, value in sent.items() if key not in errors}
        return cleaned, OfferQuery().load(cleaned), errors
    return {k: v for k, v in sent.items() if k not in ("sort", "order")}, parsed, {}


@bp.get("")
@requires(READ_OFFERS)
def offer_list() -> Response:
    """Tilbudsliste: every offer the person may read, filtered, sorted and paged in SQL."""
    with transaction() as session:
        types = type_names(session)
    sent, query, errors = _filters(types)
    centres = readable(READ_OFFERS)
    sort, order = query.pop("sort"), query.pop("order")
    with transaction() as session:
        total = queries.count_offers(session, centres=centres, **query)
        listing = Listing(url_for(".offer_list"), sort, order, 1, total, sent)
        page = page_number(request.args.get("page"), listing.pages)
        listing = Listing(listing.path, sort, order, page, total, sent)
        offers = list(
            queries.page_of_offers(
                session, centres=centres, page=page, per_page=listing.per_page, sort=sort, order=order, **query
            )
        )
        names = _names(session, offers)
        rows = [views.list_row(offer, names) for offer in offers]
        teams = [(team.id, team.name) for team in _teams(session, centres)]
        contact_groups = [(value, value) for value in load_lists(session).reference.contact_groups.values]
    return staff_page(
        "offers/list.html",
        status=422 if errors else 200,
        rows=rows,
        listing=listing,
        sent=sent,
        errors={key: [page_text(m) for m in ms] for key, ms in errors.items()},
        columns=SORT_COLUMNS,
        teams=teams,
        contact_groups=contact_groups,
        conversation_types=[(code, views.conversation_type(code, types)) for code in sorted(types)],
        channels=[(key, gettext(label)) for key, label in views.CHANNEL_LABELS.items()],
        meeting_forms=[(key, gettext(label)) for key, label in views.FORM_LABELS.items()],
    )


def _may_write_at(job_centre_code: str) -> bool:
    """Whether the person may change offers of this centre (else the page only shows them)."""
    return may_at(WRITE_OFFERS, job_centre_code)


def offer_page_response(
    offer_id: uuid.UUID,
    *,
    status: int = 200,
    error: str | None = None,
    search: str = "",
    reveal: uuid.UUID | None = None,
) -> Response:
    """The offer page (``error``: a refused status change; ``search`` and ``reveal``: the
    participant section's search and the booking whose CPR number to show)."""
    with transaction() as session:
        offer = authorized(session, Offer, offer_id, NO_OFFER, READ_OFFERS)
        centre = session.get(JobCentre, offer.job_centre_id)
        assert centre is not None
        names = _names(session, [offer])
        log = revisions.revisions_of(session, offer.id)
        values = {
            "offer": offer,
            "centre": centre,
            "sections": views.details(offer, names),
            "rules": views.describe_rules(offer.rules, reference_for(session, centre)),
            "routes": views.routes_shown(offer.marker_routes or {}, reference_for(session, centre), names),
            "status_label": gettext(views.STATUS_LABELS[offer.active]),
            "updated": views.local_time(offer.updated_at, centre.timezone),
            "updated_by": log[0].actor_name if log else None,
            "log": views.log_rows(log, names, centre.timezone),
            "may_write": _may_write_at(centre.code),
            "changed": STATUS_CHANGED.get(request.args.get("besked", ""))
            or meeting_pages.SAVED.get(request.args.get("besked", "")),
            "meetings": meeting_pages.meeting_rows(session, offer, centre.timezone),
            "may_plan": meeting_pages.may_plan(centre.code),
            "error": error,
        }
    values["participants"] = participant_section(
        offer.id, centre.code, centre.timezone, search=search, reveal=reveal, end_date=offer.end_date
    )
    return staff_page("offers/offer.html", status=status, **values)


@bp.get("/<uuid:offer_id>")
@requires(READ_OFFERS)
def offer_page(offer_id: uuid.UUID) -> Response:
    """Tilbudsside: the offer's details, status, last change and revision log (V-3, V-7)."""
    return offer_page_response(offer_id)


@bp.post("/<uuid:offer_id>/status")
@requires(WRITE_OFFERS)
def change_status(offer_id: uuid.UUID) -> Response:
    """Aktivér / Deaktivér (V-5): the same operation as ``PATCH /api/v1/offers/{id}``."""
    active = request.form.get("active") == "true"
    try:
        with transaction() as session:
            authorized(session, Offer, offer_id, NO_OFFER, WRITE_OFFERS)
            operations.update_offer(session, offer_id, {"active": active}, scope=scope(WRITE_OFFERS), editor=editor())
    except ValidationFailed as exc:
        return offer_page_response(offer_id, status=422, error=page_text(exc.detail))
    message = "aktiveret" if active else "deaktiveret"
    return redirect(url_for(".offer_page", offer_id=offer_id, besked=message), 303)  # type: ignore[return-value]
