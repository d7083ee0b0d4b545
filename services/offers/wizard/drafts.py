"""The wizard's writes: a person's drafts (start, save a step, delete) and saving a draft as
an offer, which is ``operations.create_offer`` itself; each in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.access import Scope
from services.offers.models import Advisor, Offer, OfferDraft, OfferTemplate, Room, Team
from services.offers.offers import operations
from services.offers.offers.fields import default_phone, default_place, offer_fields
from services.offers.offers.revisions import Editor
from services.offers.rules.reference import lock_reference_lists
from services.offers.wizard.form import DEFAULTS, EMPTY_RULES, draft_from_fields, offer_body
from shared.errors import NotFound, ValidationFailed
from shared.i18n import N_

NO_DRAFT = N_("Kladden findes ikke. Den kan være gemt som tilbud eller slettet.")
MAX_DRAFTS = 50
"""The most drafts one person keeps; starting another removes the oldest."""


def drafts_of(session: Session, owner: str) -> Sequence[OfferDraft]:
    """The person's drafts of new offers, the last saved first."""
    query = select(OfferDraft).where(OfferDraft.owner == owner, OfferDraft.offer_id.is_(None))
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


def _text(value: Any) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)


def offer_data(session: Session, offer: Offer) -> dict[str, Any]:
    """The wizard's fields of an existing offer. A place or number that is the default (the
    room's address; the first advisor's or the team's number) is left empty, so it keeps
    following the room, advisors and team."""
    room = session.get(Room, offer.room_id) if offer.room_id else None
    team = session.get(Team, offer.team_id)
    advisors = [a for a in (session.get(Advisor, i) for i in offer.advisor_ids) if a is not None]
    place = "" if offer.place == default_place(offer.channel, room) else _text(offer.place)
    phone = "" if offer.phone == default_phone(offer.channel, advisors, team) else _text(offer.phone)
    data: dict[str, Any] = {field: _text(getattr(offer, field)) for field in (
        "name", "description", "conversation_type", "variant", "meeting_form", "channel", "team_id", "room_id",
        "duration_minutes", "reporting_minutes", "first_meeting_date", "end_date", "rolling_weeks", "opens_on",
    )}  # fmt: skip
    return data | {
        "job_centre_id": str(offer.job_centre_id),
        "place": place,
        "phone": phone,
        "caller": offer.caller or "advisor",
        "advisor_ids": [str(i) for i in offer.advisor_ids],
        "start_minutes": [str(m) for m in offer.start_minutes],
        "citizen_may_choose_advisor": "ja" if offer.citizen_may_choose_advisor else "nej",
        "accept_cancellation": "ja" if offer.accept_cancellation else "nej",
        "rebooking": "nej" if offer.rebooking_days_before is None else "ja",
        "rebooking_days_before": _text(offer.rebooking_days_before) or "1",
        "rules": offer.rules or EMPTY_RULES,
        "marker_routes": offer.marker_routes or {},
    }


def edit_draft(session: Session, offer: Offer, owner: str, now: datetime) -> OfferDraft:
    """The person's draft of changes to ``offer``: the one they left, else a new one holding
    the offer as it is (every step reached, so the summary can be the first page)."""
    query = select(OfferDraft).where(OfferDraft.owner == owner, OfferDraft.offer_id == offer.id)
    kept = session.scalars(query).first()
    if kept is not None:
        return kept
    draft = OfferDraft(owner=owner, step=4, data=offer_data(session, offer), offer_id=offer.id, created_at=now,
                       updated_at=now)  # fmt: skip
    session.add(draft)
    session.flush()
    return draft


def save_changes(session: Session, draft: OfferDraft, *, scope: Scope, editor: Editor) -> Offer:
    """Save a draft of changes with ``operations.update_offer`` (V-6: existing bookings keep
    their terms; each changed field is a line of the revision log); the draft goes."""
    assert draft.offer_id is not None
    changes = offer_body(draft.data)
    changes.pop("job_centre_id", None)
    offer = operations.update_offer(session, draft.offer_id, changes, scope=scope, editor=editor)
    session.delete(draft)
    session.flush()
    return offer


def save_draft(session: Session, draft: OfferDraft, data: Mapping[str, Any], reached: int, now: datetime) -> None:
    """Keep ``data`` (everything typed, valid or not) and the furthest step reached."""
    draft.data = dict(data)
    draft.step = max(draft.step, reached)
    draft.updated_at = now
    session.flush()


def delete_draft(session: Session, draft: OfferDraft) -> None:
    session.delete(draft)
    session.flush()


def problems_of(
    session: Session, data: Mapping[str, Any], scope: Scope, offer_id: uuid.UUID | None = None
) -> dict[str, list[Any]]:
    """Every problem the offer's check finds in the draft, as a new offer or as changes to
    ``offer_id`` (nothing is written)."""
    lock_reference_lists(session, exclusive=False)
    body = offer_body(data)
    previous = session.get(Offer, offer_id) if offer_id is not None else None
    if previous is not None:
        body.pop("job_centre_id", None)
    try:
        offer_fields(session, body, previous=previous, sees=scope.sees_row(session))
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


def with_template(session: Session, data: Mapping[str, Any], template_id: str) -> dict[str, Any]:
    """``data`` with the fields of the template ``template_id`` of the draft's job centre
    (O-2): what the template has replaces what was typed, the rest stays. Another centre's
    template, or none chosen, changes nothing."""
    try:
        template = session.get(OfferTemplate, uuid.UUID(template_id))
    except ValueError:
        template = None
    if template is None or str(template.job_centre_id) != str(data.get("job_centre_id") or ""):
        return dict(data)
    return {**data, **draft_from_fields(template.fields), "template_name": template.name}
