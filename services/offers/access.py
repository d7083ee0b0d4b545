"""Who may see and change what in the offers service (issue 9): the job-centre scope of
every route. Used by ``api`` and, through ``Scope``, by the operations.

- Every row belongs to one job centre: a job centre to itself, a team, room, advisor or
  offer to its ``job_centre_id``; a calendar conflict or free time to its advisor's centre.
  A grant covers only the centre with its code (or every centre, ``*``): a role at a
  parent centre gives none at its sub-job-centres (DOMAIN.md says nothing more; an
  administrator of both names both codes).
- A resource in the path is checked with ``authorize_at``: a centre where the caller holds
  no role answers 404 with exactly the message of an unknown id (so ids do not leak),
  a role that may not do this answers 403.
- Ids in a request body that belong to a centre the caller cannot see are answered as if
  they did not exist (the operation's own "findes ikke" message): ``Scope.sees`` and
  ``Scope.sees_row``.
- Lists show only the centres the caller may read: ``readable`` (``None``: every centre),
  filtered in SQL by ``queries``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.lookup import get_or_404
from services.offers.models import Advisor, JobCentre, Offer, OfferTemplate, Room, Team
from shared.auth.access import Action
from shared.auth.web import NOT_ALLOWED, authorize, job_centres_allowed
from shared.errors import Forbidden, NotFound

Owned = TypeVar("Owned", JobCentre, Team, Room, Advisor, Offer, OfferTemplate)

READ_OF = {
    Action.WRITE_ADMIN_DATA: Action.READ_ADMIN_DATA,
    Action.WRITE_OFFERS: Action.READ_OFFERS,
    Action.WRITE_CALENDARS: Action.READ_CALENDARS,
}
"""The read that lets a caller see the resources a write names."""


def readable(action: Action) -> frozenset[str] | None:
    """The codes of the centres whose resources the caller may ``action`` (``None``: every centre)."""
    return job_centres_allowed(action)


def authorize_at(action: Action, job_centre_code: str, not_found: str) -> None:
    """``authorize``, but a centre the caller cannot see answers 404 with ``not_found``, the
    message an unknown id gets, so that the answer does not tell the two apart."""
    authorize(action, job_centre_code, not_found=not_found)


def centre_code(session: Session, row: JobCentre | Team | Room | Advisor | Offer | OfferTemplate) -> str:
    """The code of the job centre ``row`` belongs to."""
    if isinstance(row, JobCentre):
        return row.code
    code = session.scalar(select(JobCentre.code).where(JobCentre.id == row.job_centre_id))
    assert code is not None  # a foreign key
    return code


def authorized(session: Session, model: type[Owned], ident: uuid.UUID, not_found: str, action: Action) -> Owned:
    """The row ``ident`` of ``model`` if the caller may ``action`` at its job centre; 404
    (``not_found``) when it does not exist or the caller has no role there, 403 when they
    may only read it."""
    row = get_or_404(session, model, ident, not_found)
    authorize_at(action, centre_code(session, row), not_found)
    return row


@dataclass(frozen=True)
class Scope:
    """The caller's reach for one write, for operations that find job centres in a body.

    ``visible`` are the codes of the centres whose rows the caller may see (``None``: every
    centre); rows of the others are treated as absent. ``check`` refuses the write at a
    visible centre where the caller may only read (403).
    """

    action: Action
    visible: frozenset[str] | None

    def sees(self, job_centre_code: str) -> bool:
        return self.visible is None or job_centre_code in self.visible

    def sees_row(self, session: Session) -> Callable[[JobCentre | Team | Room | Advisor], bool]:
        """Whether the caller sees a row (by its job centre), for the checks of an offer body."""
        return lambda row: self.sees(centre_code(session, row))

    def check(self, job_centre_code: str) -> None:
        """Refuse ``action`` at a centre the caller sees but may not do it at (403)."""
        authorize(self.action, job_centre_code)

    def check_new_centre(self, job_centre_code: str) -> None:
        """Refuse creating a job centre with this code unless the caller may ``action`` there.

        403, also without any role at the code: it is the caller's own choice, not a
        reference to a row, so a refusal tells nothing about what exists.
        """
        try:
            authorize(self.action, job_centre_code)
        except NotFound:
            raise Forbidden(NOT_ALLOWED, code="not_allowed") from None


def scope(action: Action) -> Scope:
    """The caller's ``Scope`` for the write ``action``."""
    return Scope(action, readable(READ_OF[action]))
