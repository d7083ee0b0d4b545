"""Key rotation of the stored calendar passwords (``planner offers rotate-secrets``).

The offers service owns the advisors and so every calendar password; the calendar-sync
worker keeps a copy it receives in ``advisor.changed``. Rotating re-encrypts each password
with the first of ``PLANNER_SECRET_KEYS`` and announces the advisor again, so the worker
stores the new token as well. Afterwards no stored password needs the older keys.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.events import announce_advisor
from services.offers.models import Advisor, OutboxMessage
from shared.config import Settings
from shared.secrets import SecretsNotConfigured, is_current, require_keys, rotate
from shared.service import build_context

log = logging.getLogger(__name__)


@dataclass
class RotationResult:
    """What a rotation did: ``rotated`` re-encrypted, ``current`` already under the first
    key, ``unreadable`` advisors whose password none of the keys decrypts (left as they were)."""

    rotated: int = 0
    current: int = 0
    unreadable: list[uuid.UUID] = field(default_factory=list)


def rotate_calendar_passwords(session: Session, *, secret_keys: str) -> RotationResult:
    """Re-encrypt every stored calendar password that is not yet under the first of
    ``secret_keys`` (``MultiFernet.rotate``), in the caller's transaction, and record
    ``advisor.changed`` in the outbox for each, so the worker's copy is replaced too.

    Passwords already under the first key are left alone (running it again changes
    nothing); the rows are locked, so an advisor saved at the same time is not lost.
    Raises ``SecretsNotConfigured`` when ``secret_keys`` is empty.
    """
    require_keys(secret_keys)
    query = (
        select(Advisor)
        .where(Advisor.caldav_password_encrypted.is_not(None))
        .order_by(Advisor.id)
        .with_for_update(of=Advisor)
    )
    result = RotationResult()
    for advisor in session.scalars(query):
        token = advisor.caldav_password_encrypted
        assert token is not None
        if is_current(token, secret_keys):
            result.current += 1
            continue
        try:
            advisor.caldav_password_encrypted = rotate(token, secret_keys)
        except SecretsNotConfigured:
            result.unreadable.append(advisor.id)
            continue
        announce_advisor(session, advisor)
        result.rotated += 1
    return result


@dataclass
class RotationReport:
    """``planner offers rotate-secrets``' outcome: the rotation, and whether its events
    were sent now (``sent``) or wait in the outbox for the offers service's relay."""

    result: RotationResult
    sent: bool


def rotate_stored_secrets(settings: Settings) -> RotationReport:
    """Rotate every stored calendar password (``rotate_calendar_passwords``) in one
    transaction of the offers database, then try to send the recorded events at once.
    If RabbitMQ does not answer, they stay in the outbox; a running offers service sends them."""
    context = build_context(settings, settings.offers_database_url, OutboxMessage)
    try:
        with context.db.transaction() as session:
            result = rotate_calendar_passwords(session, secret_keys=settings.secret_keys)
        try:
            context.relay.relay_pending()
        except Exception as exc:  # noqa: BLE001 - the broker may be down; the outbox keeps the events
            log.warning("could not send the rotation's events now, they wait in the outbox: %s", exc)
            return RotationReport(result, sent=False)
        return RotationReport(result, sent=True)
    finally:
        context.close()
