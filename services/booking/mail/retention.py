"""How long the e-mails to citizens are kept: a message sent or given up more than
``KEPT_FOR`` ago is deleted (its address and text are personal data, and a question about a
delivery is asked within days). Pending messages are never deleted here."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select

from services.booking.models import CitizenMail
from shared.db import Database
from shared.timeutil import utcnow

KEPT_FOR = timedelta(days=30)
BATCH = 1000
"""Rows deleted per transaction, so a large backlog never holds long locks."""


def purge_old_mail(db: Database, now: datetime | None = None) -> int:
    """Delete the messages sent or failed more than ``KEPT_FOR`` before ``now``; returns how many."""
    cutoff = (now or utcnow()) - KEPT_FOR
    done = 0
    while True:
        with db.transaction() as session:
            ids = session.scalars(
                select(CitizenMail.id)
                .where(or_(CitizenMail.sent_at < cutoff, CitizenMail.failed_at < cutoff))
                .limit(BATCH)
            ).all()
            if ids:
                session.execute(delete(CitizenMail).where(CitizenMail.id.in_(ids)))
        done += len(ids)
        if len(ids) < BATCH:
            return done
