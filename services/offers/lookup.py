"""One row or 404, and the narrowing of a query to the job centres a caller may read, for
every feature package's queries (``services.offers.access`` decides the centres)."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.offers.models import Advisor, JobCentre, Offer, Room, Team
from shared.errors import NotFound

M = TypeVar("M", JobCentre, Team, Room, Advisor, Offer)


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


def of_centre(
    query: Select[Any], model: Any, job_centre_id: uuid.UUID | None, centres: frozenset[str] | None
) -> Select[Any]:
    """``query`` narrowed to the rows of ``job_centre_id`` (if given) among the centres ``centres``."""
    if job_centre_id is not None:
        query = query.where(model.job_centre_id == job_centre_id)
    if centres is not None:
        query = query.where(model.job_centre_id.in_(centre_ids(centres)))
    return query
