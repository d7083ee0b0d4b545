"""Reads of the offers service: one row or 404, and the lists staff see (V-1, V-2).

Every list takes ``centres``, the codes of the job centres the caller may read (``None``:
every centre), and shows only their rows (``services.offers.access``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.offers.models import Advisor, JobCentre, Offer, Room, Team, advisor_team
from shared.errors import NotFound

M = TypeVar("M", JobCentre, Team, Room, Advisor, Offer)

OFFER_SORTS = ("name", "conversation_type", "meeting_form", "channel", "updated_at", "active")
"""The columns of the offer list staff can sort by (V-1)."""


def get_or_404(session: Session, model: type[M], ident: uuid.UUID, message: str, *, lock: bool = False) -> M:
    """The row ``ident`` of ``model`` (locked for update when ``lock``), or NotFound with ``message``."""
    locking = lock and session.get_bind().dialect.name != "sqlite"
    row = session.get(model, ident, with_for_update={"of": model} if locking else None)
    if row is None:
        raise NotFound(message)
    return row


def centre_ids(centres: frozenset[str]) -> Select[tuple[uuid.UUID]]:
    """The ids of the job centres with the codes ``centres`` (a subquery)."""
    return select(JobCentre.id).where(JobCentre.code.in_(sorted(centres)))


def _of_centre(
    query: Select[Any], model: Any, job_centre_id: uuid.UUID | None, centres: frozenset[str] | None
) -> Select[Any]:
    """``query`` narrowed to the rows of ``job_centre_id`` (if given) among the centres ``centres``."""
    if job_centre_id is not None:
        query = query.where(model.job_centre_id == job_centre_id)
    if centres is not None:
        query = query.where(model.job_centre_id.in_(centre_ids(centres)))
    return query


def list_job_centres(session: Session, *, centres: frozenset[str] | None) -> Sequence[JobCentre]:
    query = select(JobCentre) if centres is None else select(JobCentre).where(JobCentre.code.in_(sorted(centres)))
    return session.scalars(query.order_by(JobCentre.code)).all()


def list_teams(
    session: Session, *, centres: frozenset[str] | None, job_centre_id: uuid.UUID | None = None
) -> Sequence[Team]:
    query = _of_centre(select(Team), Team, job_centre_id, centres)
    return session.scalars(query.order_by(Team.name, Team.id)).all()


def list_rooms(
    session: Session, *, centres: frozenset[str] | None, job_centre_id: uuid.UUID | None = None
) -> Sequence[Room]:
    query = _of_centre(select(Room), Room, job_centre_id, centres)
    return session.scalars(query.order_by(Room.name, Room.id)).all()


def list_advisors(
    session: Session,
    *,
    centres: frozenset[str] | None,
    job_centre_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
) -> Sequence[Advisor]:
    query = _of_centre(select(Advisor), Advisor, job_centre_id, centres)
    if team_id is not None:
        query = query.join(advisor_team, advisor_team.c.advisor_id == Advisor.id).where(
            advisor_team.c.team_id == team_id
        )
    return session.scalars(query.order_by(Advisor.name, Advisor.id)).all()


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
) -> Select[tuple[Offer]]:
    """The offers filtered as in V-2 (``name`` matches a part, any case) and sorted by ``sort``."""
    if sort not in OFFER_SORTS:
        raise ValueError(f"unknown sort column {sort!r}")
    query = _of_centre(select(Offer), Offer, job_centre_id, centres)
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
    column = getattr(Offer, sort)
    primary = column.desc() if order == "desc" else column.asc()
    return query.order_by(primary, Offer.name, Offer.id)
