"""The free-time versions: one counter per offer and per advisor (``FreeTimeVersion``).

Every transaction that changes what is free ``touch``-es the subjects it changed: an offer
when its read model or its bookable times change (``consumer``), an advisor when one of
their bookings or holds is made, released, cancelled or moved away (``operations``,
``holds``, ``changes``). Just before the session commits, the touched counters are bumped
in one statement, in the transaction itself: a change and its new version become visible
together. Holds that merely expire bump nothing: time alone ends them, and
``prepared_times`` knows until when each hold it counted blocks.

The bump locks the subjects' rows until the commit. It is one statement in one sorted
order per transaction, so two transactions never wait for each other's rows the other way
round (a move touches two advisors).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable

from sqlalchemy import Connection, bindparam, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.booking.models import FreeTimeVersion

Versions = dict[uuid.UUID, int]


TOUCHED = "booking.free_time_touched"
"""The key in ``Session.info`` of the subjects to bump at the commit."""


def touch(session: Session, *subjects: uuid.UUID | None) -> None:
    """Note that this transaction changes the free times of ``subjects`` (offers or advisors;
    None ignored): their versions move when it commits."""
    session.info.setdefault(TOUCHED, set()).update(s for s in subjects if s is not None)


@event.listens_for(Session, "before_commit")
def _bump_touched(session: Session) -> None:
    touched = session.info.pop(TOUCHED, None)
    if touched:
        bump(session, touched)


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    session.info.pop(TOUCHED, None)


def bump(session: Session, subjects: Iterable[uuid.UUID | None]) -> None:
    """Add one to the version of each offer or advisor in ``subjects`` (None ignored)."""
    rows = [{"subject_id": s, "version": 1} for s in sorted({s for s in subjects if s is not None})]
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = FreeTimeVersion.__table__
    statement = insert(table).values(rows)
    session.execute(
        statement.on_conflict_do_update(index_elements=[table.c.subject_id], set_={"version": table.c.version + 1})
    )


_READ = select(FreeTimeVersion.subject_id, FreeTimeVersion.version).where(
    FreeTimeVersion.subject_id.in_(bindparam("subjects", expanding=True))
)


def read(session: Session | Connection, subjects: Collection[uuid.UUID]) -> Versions:
    """The current version of each of ``subjects`` (0 for one never bumped), in one statement."""
    found = {subject: version for subject, version in session.execute(_READ, {"subjects": list(subjects)})}
    return {subject: found.get(subject, 0) for subject in subjects}
