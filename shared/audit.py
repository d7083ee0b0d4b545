"""The CPR access log: every view of a citizen's CPR number is recorded (who, when, what, whose).

DOMAIN.md: a CPR number is confidential; access to it is logged. Each service that looks
a CPR number up keeps the rows in its own database (``cpr_access_log``), written in a
transaction of its own so that a refused request still leaves its trace. The Python logs
never see the number: this table is the only place the subject is written down.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.cpr import Cpr
from shared.db import AwareDateTime, Database
from shared.timeutil import utcnow

CITIZEN_SELF = "citizen-self"
"""The actor when citizens, logged in with MitID, look at their own data."""


class CprAccessLogMixin:
    """Columns of a service's ``cpr_access_log``; mix into the service's Base."""

    __tablename__ = "cpr_access_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(50))
    subject_cpr: Mapped[str] = mapped_column(String(10), index=True)
    route: Mapped[str] = mapped_column(String(200), default="")


def record_cpr_access(
    session: Session, model: type[CprAccessLogMixin], *, actor: str, purpose: str, cpr: Cpr, route: str = ""
) -> None:
    """Add one access row in ``session``'s transaction; ``actor`` is the authenticated
    person or system (``shared.auth.web.actor_id``), ``route`` the request's route."""
    row = model(at=utcnow(), actor=actor[:200], purpose=purpose[:50], subject_cpr=cpr.digits, route=route[:200])
    session.add(row)


def log_cpr_access(
    db: Database, model: type[CprAccessLogMixin], *, actor: str, purpose: str, cpr: Cpr, route: str = ""
) -> None:
    """Record one access in a transaction of its own (committed even when the request then fails)."""
    with db.transaction() as session:
        record_cpr_access(session, model, actor=actor, purpose=purpose, cpr=cpr, route=route)
