"""The offer list staff see (V-1, V-2): filtered and sorted in SQL.

``centres`` are the codes of the job centres the caller may read (``None``: every centre);
only their offers are listed (``services.offers.access``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from services.offers.lookup import of_centre
from services.offers.models import Offer, OfferTargetGroup, Team

OFFER_SORTS = ("name", "conversation_type", "meeting_form", "channel", "team", "updated_at", "active")
"""The columns of the offer list staff can sort by (V-1); "team" sorts by the team's name."""
_TEAM_NAME = select(Team.name).where(Team.id == Offer.team_id).correlate(Offer).scalar_subquery()


def list_offers(session: Session, *, centres: frozenset[str] | None, **filters: Any) -> Sequence[Offer]:
    """Offers filtered and sorted as in V-1 and V-2 (``offers_query``)."""
    return session.scalars(offers_query(centres=centres, **filters)).all()


def offers_query(
    *,
    centres: frozenset[str] | None,
    sort: str = "name",
    order: str = "asc",
    active: bool | None = None,
    job_centre_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    conversation_type: int | None = None,
    meeting_form: str | None = None,
    channel: str | None = None,
    name: str | None = None,
    contact_group: str | None = None,
) -> Select[tuple[Offer]]:
    """The offers filtered as in V-2 (``name`` matches a part, any case; ``contact_group``
    keeps the offers whose rules are for that contact group) and sorted by ``sort``."""
    if sort not in OFFER_SORTS:
        raise ValueError(f"unknown sort column {sort!r}")
    query = of_centre(select(Offer), Offer, job_centre_id, centres)
    for column, value in (
        (Offer.active, active),
        (Offer.team_id, team_id),
        (Offer.conversation_type, conversation_type),
        (Offer.meeting_form, meeting_form),
        (Offer.channel, channel),
    ):
        if value is not None:
            query = query.where(column == value)
    if name:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Offer.name.ilike(f"%{escaped}%", escape="\\"))
    if contact_group:
        targeted = select(OfferTargetGroup.offer_id).where(OfferTargetGroup.contact_group == contact_group)
        query = query.where(Offer.id.in_(targeted))
    column = _TEAM_NAME if sort == "team" else getattr(Offer, sort)
    primary = column.desc() if order == "desc" else column.asc()
    return query.order_by(primary, Offer.name, Offer.id)


def count_offers(session: Session, *, centres: frozenset[str] | None, **filters: Any) -> int:
    """How many offers ``offers_query`` finds with these filters (for the pages of the list)."""
    query = offers_query(centres=centres, **filters).order_by(None)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def page_of_offers(
    session: Session, *, centres: frozenset[str] | None, page: int, per_page: int, **filters: Any
) -> Sequence[Offer]:
    """Page ``page`` (from 1) of ``per_page`` offers, filtered and sorted over all of them."""
    query = offers_query(centres=centres, **filters).limit(per_page).offset((page - 1) * per_page)
    return session.scalars(query).all()
