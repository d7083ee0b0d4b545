"""The wizard's writes: a person's drafts (start, save a step, delete) and saving a draft as
an offer, which is ``operations.create_offer`` itself; each in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.access import Scope
from services.offers.models import Offer, OfferDraft
from services.offers.offers import operations
from services.offers.offers.fields import offer_fields
from services.offers.offers.revisions import Editor
from services.offers.rules.reference import lock_reference_lists
from services.offers.wizard.form import DEFAULTS, offer_body
from shared.errors import NotFound, ValidationFailed
from shared.i18n import N_

NO_DRAFT = N_("Kladden findes ikke. Den kan være gemt som tilbud eller slettet.")
MAX_DRAFTS = 50
"""The most drafts one person keeps; starting another removes the oldest."""


def drafts_of(session: Session, owner: str) -> Sequence[OfferDraft]:
    """The person's drafts, the last saved first."""
    query = select(OfferDraft).where(OfferDraft.owner == owner)
    return session.scalars(query.order_by(OfferDraft.updated_at.desc(), OfferDraft.id)).all()


def own_draft(session: Session, draft_id: uuid.UUID, owner: str) -> OfferDraft:
    """The person's draft ``draft_id``; another's is 404, exactly as one that does not exist."""
    draft = session.get(OfferDraft, draft_id)
    if draft is None or draft.owner != owner:
        raise NotFound(NO_DRAFT)
    return draft


def start_draft(session: Session, owner: str, now: datetime, job_centre_id: uuid.UUID | None) -> OfferDraft:
    """A new draft with the wizard's defaults (the person's oldest beyond ``MAX_DRAFTS`` go)."""
    for old in list(drafts_of(session, owner))[MAX_DRAFTS - 1 :]:
        session.delete(old)
    data: dict[str, Any] = {**DEFAULTS, "job_centre_id": str(job_centre_id) if job_centre_id else ""}
    draft = OfferDraft(owner=owner, step=1, data=data, created_at=now, updated_at=now)
    session.add(draft)
    session.flush()
    return draft


def save_draft(session: Session, draft: OfferDraft, data: Mapping[str, Any], reached: int, now: datetime) -> None:
    """Keep ``data`` (everything typed, valid or not) and the furthest step reached."""
    draft.data = dict(data)
    draft.step = max(draft.step, reached)
    draft.updated_at = now
    session.flush()


def delete_draft(session: Session, draft: OfferDraft) -> None:
    session.delete(draft)
    session.flush()


def problems_of(session: Session, data: Mapping[str, Any], scope: Scope) -> dict[str, list[Any]]:
    """Every problem the offer's check finds in the draft (nothing is written)."""
    lock_reference_lists(session, exclusive=False)
    try:
        offer_fields(session, offer_body(data), sees=scope.sees_row(session))
    except ValidationFailed as exc:
        return dict((exc.extra or {}).get("errors", {}))
    return {}


def publish_draft(session: Session, draft: OfferDraft, *, active: bool, scope: Scope, editor: Editor) -> Offer:
    """Save the draft as an offer, active (published when it opens) or not; the draft goes.
    ValidationFailed, as from the API, when the offer is not valid yet."""
    offer = operations.create_offer(session, {**offer_body(draft.data), "active": active}, scope=scope, editor=editor)
    session.delete(draft)
    session.flush()
    return offer
