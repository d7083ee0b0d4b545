"""The free-time versions of offers and advisors (``FreeTimeChange``).

Every transaction that changes what is free ``touch``-es the subjects it changed: an offer
when its read model or its bookable times change (``consumer``), an advisor when one of
their bookings or holds is made, released, cancelled or moved away (``operations``,
``holds``, ``changes``). Just before the session commits, one row per touched subject is
inserted, in one statement, in the transaction itself: a change and its new version become
visible together. Holds that merely expire add nothing: time alone ends them, and
``prepared_times`` knows until when each hold it counted blocks.

A subject's version is the sum of its rows' amounts. Inserting never waits for another
transaction (an update of one counter row per advisor would: every booking of a busy
advisor would queue behind the last one's commit), and every committed change raises the
sum whatever order transactions commit in. ``fold`` (the mail worker's housekeeping) turns
each subject's rows into one row with their sum, which leaves every version as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import Connection, delete, event, func, insert, select
from sqlalchemy.orm import Session

from services.booking.models import FreeTimeChange
from shared.db import Database, among_bound, dialect_name, table_of

Versions = dict[uuid.UUID, int]

TOUCHED = "booking.free_time_touched"
"""The key in ``Session.info`` of the subjects whose versions move at the commit."""

FOLD_BATCH = 1000
"""Subjects folded per transaction."""

_CHANGES = table_of(FreeTimeChange)
_SUMS = select(_CHANGES.c.subject_id, func.sum(_CHANGES.c.amount)).group_by(_CHANGES.c.subject_id)
_READ = {
    "postgresql": _SUMS.where(among_bound(_CHANGES.c.subject_id, "subjects", postgresql=True)),
    "other": _SUMS.where(among_bound(_CHANGES.c.subject_id, "subjects", postgresql=False)),
}
"""One statement per kind of database, built once (``shared.db.among_bound``)."""


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


def bump(session: Session, subjects: Collection[uuid.UUID]) -> None:
    """Raise the version of each of ``subjects`` by one (a row each, one statement)."""
    if subjects:
        session.execute(insert(_CHANGES), [{"subject_id": s, "amount": 1} for s in sorted(subjects)])


def read(session: Session | Connection, subjects: Collection[uuid.UUID]) -> Versions:
    """The current version of each of ``subjects`` (0 for one never changed), in one statement."""
    statement = _READ["postgresql" if dialect_name(session) == "postgresql" else "other"]
    found = {subject: int(total) for subject, total in session.execute(statement, {"subjects": list(subjects)})}
    return {subject: found.get(subject, 0) for subject in subjects}


def fold(db: Database) -> int:
    """Replace the rows of every subject with more than one by a single row with their sum
    (versions unchanged), ``FOLD_BATCH`` subjects per transaction; returns the rows removed.

    A change committed meanwhile adds its own row and is kept: each transaction deletes
    only the rows it read and re-inserts their sum."""
    removed = 0
    while True:
        with db.transaction() as session:
            many = select(_CHANGES.c.subject_id).group_by(_CHANGES.c.subject_id).having(func.count() > 1)
            subjects = list(session.scalars(many.limit(FOLD_BATCH)))
            if not subjects:
                return removed
            gone = session.execute(
                delete(_CHANGES)
                .where(_CHANGES.c.subject_id.in_(subjects))
                .returning(_CHANGES.c.subject_id, _CHANGES.c.amount)
            ).all()
            totals: dict[uuid.UUID, int] = {}
            for subject, amount in gone:
                totals[subject] = totals.get(subject, 0) + amount
            session.execute(insert(_CHANGES), [{"subject_id": s, "amount": t} for s, t in sorted(totals.items())])
            removed += len(gone) - len(totals)
        if len(subjects) < FOLD_BATCH:
            return removed
