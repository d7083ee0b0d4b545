"""The lists of admin data staff see: job centres, teams, rooms and advisors.

Every list takes ``centres``, the codes of the job centres the caller may read (``None``:
every centre), and shows only their rows (``services.offers.access``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.lookup import of_centre
from services.offers.models import Advisor, JobCentre, Room, Team, advisor_team


def list_job_centres(session: Session, *, centres: frozenset[str] | None) -> Sequence[JobCentre]:
    query = select(JobCentre) if centres is None else select(JobCentre).where(JobCentre.code.in_(sorted(centres)))
    return session.scalars(query.order_by(JobCentre.code)).all()


def list_teams(
    session: Session, *, centres: frozenset[str] | None, job_centre_id: uuid.UUID | None = None
) -> Sequence[Team]:
    query = of_centre(select(Team), Team, job_centre_id, centres)
    return session.scalars(query.order_by(Team.name, Team.id)).all()


def list_rooms(
    session: Session, *, centres: frozenset[str] | None, job_centre_id: uuid.UUID | None = None
) -> Sequence[Room]:
    query = of_centre(select(Room), Room, job_centre_id, centres)
    return session.scalars(query.order_by(Room.name, Room.id)).all()


def list_advisors(
    session: Session,
    *,
    centres: frozenset[str] | None,
    job_centre_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
) -> Sequence[Advisor]:
    query = of_centre(select(Advisor), Advisor, job_centre_id, centres)
    if team_id is not None:
        query = query.join(advisor_team, advisor_team.c.advisor_id == Advisor.id).where(
            advisor_team.c.team_id == team_id
        )
    return session.scalars(query.order_by(Advisor.name, Advisor.id)).all()
