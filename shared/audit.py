"""The CPR access log: every view of a citizen's CPR number is recorded (who, when, what, whose).

DOMAIN.md: a CPR number is confidential; access to it is logged. Each service that looks
a CPR number up keeps the rows in its own database (``cpr_access_log``), written in a
transaction of its own so that a refused request still leaves its trace. The Python logs
never see the number: this table is the only place the subject is written down, as its
keyed index (``subject_cpr_index``: the insight search finds the rows by it) and sealed
(``subject_cpr_sealed``: an auditor with the keys can see whose record was viewed), never
in plain text (``shared.cpr_vault``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.cpr import Cpr
from shared.cpr_vault import CprVault, vault_for_settings
from shared.db import AwareDateTime, Database, table_of
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
    subject_cpr_index: Mapped[str] = mapped_column(String(64), index=True)
    subject_cpr_sealed: Mapped[str] = mapped_column(Text)
    route: Mapped[str] = mapped_column(String(200), default="")


def current_cpr_vault() -> CprVault:
    """The CPR vault of the running service: inside a Flask app context the one of its
    ``ServiceContext``'s settings, else the process settings' (``get_settings``; the CLI).

    For code whose callers hold no settings; whoever holds them passes
    ``vault_for_settings(settings)`` instead. Raises ``CprKeysMissing`` without keys."""
    from flask import current_app, has_app_context

    from shared.config import get_settings

    if has_app_context():
        context = current_app.extensions.get("planner")
        if context is not None:
            return vault_for_settings(context.settings)
    return vault_for_settings(get_settings())


def record_cpr_access(
    session: Session,
    model: type[CprAccessLogMixin],
    *,
    actor: str,
    purpose: str,
    cpr: Cpr,
    route: str = "",
    vault: CprVault | None = None,
) -> None:
    """Add one access row in ``session``'s transaction; ``actor`` is the authenticated
    person or system (``shared.auth.web.actor_id``), ``route`` the request's route. The
    subject is indexed and sealed with ``vault`` (default: ``current_cpr_vault()``)."""
    vault = vault or current_cpr_vault()
    row = {
        "at": utcnow(),
        "actor": actor[:200],
        "purpose": purpose[:50],
        "subject_cpr_index": vault.index(cpr),
        "subject_cpr_sealed": vault.seal(cpr),
        "route": route[:200],
    }
    session.execute(insert(table_of(model)), row)  # Core: no unit of work for one row


def log_cpr_access(
    db: Database,
    model: type[CprAccessLogMixin],
    *,
    actor: str,
    purpose: str,
    cpr: Cpr,
    route: str = "",
    vault: CprVault | None = None,
) -> None:
    """Record one access in a transaction of its own (committed even when the request then fails)."""
    with db.transaction() as session:
        record_cpr_access(session, model, actor=actor, purpose=purpose, cpr=cpr, route=route, vault=vault)


def log_cpr_accesses(
    db: Database,
    model: type[CprAccessLogMixin],
    *,
    actor: str,
    accesses: list[tuple[str, Cpr]],
    route: str = "",
    vault: CprVault | None = None,
) -> None:
    """Record several accesses, ``(purpose, cpr)`` each, in one transaction of its own
    (a list of participants whose numbers are shown: one row per number)."""
    if not accesses:
        return
    with db.transaction() as session:
        for purpose, cpr in accesses:
            record_cpr_access(session, model, actor=actor, purpose=purpose, cpr=cpr, route=route, vault=vault)
