"""Templates of offers (A-4, O-2): a job centre's named sets of offer fields that pre-fill
the wizard. Every field is optional, and the wizard checks the offer as always once it is
filled in, so a template is checked only for its shape here: known fields, values of the
right kind and size. The dates are the offer's own and never part of a template.

Reads and writes in the caller's transaction; the route has checked the caller's right at
the template's job centre.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.admin.operations import flush_unique
from services.offers.lookup import get_or_404
from services.offers.models import JobCentre, Offer, OfferTemplate
from services.offers.offers.fields import OFFER_COLUMNS
from services.offers.offers.revisions import Editor, offer_values
from shared.errors import Conflict
from shared.timeutil import utcnow

DATES = frozenset(("first_meeting_date", "end_date", "opens_on"))
TEMPLATE_FIELDS = frozenset((*OFFER_COLUMNS, "advisor_ids")) - DATES - {"active"}
TEXTS = frozenset(("name", "description", "variant", "meeting_form", "channel", "place", "phone", "caller",
                   "team_id", "room_id"))  # fmt: skip
NUMBERS = frozenset(("conversation_type", "duration_minutes", "reporting_minutes", "rolling_weeks",
                     "rebooking_days_before"))  # fmt: skip
FLAGS = frozenset(("citizen_may_choose_advisor", "accept_cancellation"))
MAX_JSON = 20_000
"""The most a template's fields take as JSON (30 rules and their routes fit many times over)."""
NOT_FOUND = "Skabelonen findes ikke."


def templates_of(session: Session, centres: frozenset[str] | None) -> Sequence[OfferTemplate]:
    """The templates of the job centres ``centres`` (``None``: every centre), by centre and name."""
    query = select(OfferTemplate).join(JobCentre, JobCentre.id == OfferTemplate.job_centre_id)
    if centres is not None:
        query = query.where(JobCentre.code.in_(sorted(centres)))
    return session.scalars(query.order_by(JobCentre.code, OfferTemplate.name)).all()


def templates_at(session: Session, job_centre_id: uuid.UUID) -> Sequence[OfferTemplate]:
    query = select(OfferTemplate).where(OfferTemplate.job_centre_id == job_centre_id)
    return session.scalars(query.order_by(OfferTemplate.name)).all()


def _fields(problems: check.Problems, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        problems.add("fields", 'Skal være et objekt med tilbuddets felter, fx {"duration_minutes": 45}.')
        return {}
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        if key in DATES:
            problems.add("fields", f"{key}: datoerne hører til det enkelte tilbud, ikke til skabelonen.")
        elif key not in TEMPLATE_FIELDS:
            problems.add("fields", f"Ukendt felt '{str(key)[:50]}'.")
        elif value is None:
            if key == "rebooking_days_before":  # none: no rebooking
                fields[key] = None
        elif key in TEXTS and not (isinstance(value, str) and len(value) <= 1000):
            problems.add("fields", f"{key}: skal være tekst (højst 1000 tegn).")
        elif key in NUMBERS and (isinstance(value, bool) or not isinstance(value, int)):
            problems.add("fields", f"{key}: skal være et helt tal.")
        elif key in FLAGS and not isinstance(value, bool):
            problems.add("fields", f"{key}: skal være true eller false.")
        elif key in ("start_minutes", "advisor_ids") and not (isinstance(value, list) and len(value) <= 30):
            problems.add("fields", f"{key}: skal være en liste (højst 30).")
        else:
            fields[key] = value
    if len(json.dumps(fields, default=str)) > MAX_JSON:
        problems.add("fields", f"Skabelonen er for stor (højst {MAX_JSON} tegn som JSON).")
    return fields


def create_template(
    session: Session, job_centre_id: uuid.UUID, data: Mapping[str, Any], *, editor: Editor | None = None
) -> OfferTemplate:
    """Create the centre's template ``name`` (unique at the centre: 409) with ``fields``."""
    get_or_404(session, JobCentre, job_centre_id, "Jobcentret findes ikke.")
    problems = check.Problems()
    name = check.text(problems, data, "name", max_length=200, required=True)
    fields = _fields(problems, data.get("fields", {}))
    problems.raise_if_any()
    taken = f"Jobcentret har allerede en skabelon, der hedder {name}."
    if name in [t.name for t in templates_at(session, job_centre_id)]:
        raise Conflict(taken, code="template_exists")
    editor = editor or Editor()
    template = OfferTemplate(
        job_centre_id=job_centre_id,
        name=name,
        fields=fields,
        created_at=utcnow(),
        created_by=editor.actor,
        created_by_name=editor.name,
    )
    session.add(template)
    flush_unique(session, taken, "template_exists")
    return template


def fields_of_offer(offer: Offer) -> dict[str, Any]:
    """An offer's fields as a template keeps them (all but its dates and status, as JSON;
    no rebooking is kept as such, other empty fields are left out)."""
    return {
        key: value
        for key, value in offer_values(offer).items()
        if key in TEMPLATE_FIELDS and (value is not None or key == "rebooking_days_before")
    }


def remove_template(session: Session, template_id: uuid.UUID) -> None:
    """Remove a template; offers made from it are not touched (they only started from it)."""
    session.delete(get_or_404(session, OfferTemplate, template_id, NOT_FOUND))
    session.flush()
