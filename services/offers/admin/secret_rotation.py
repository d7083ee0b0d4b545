"""Key rotation of the stored calendar passwords (``planner offers rotate-secrets``).

The offers service owns the advisors and so every calendar password; the calendar-sync
worker keeps a copy it receives in ``advisor.changed``. Rotating re-encrypts each password
with the first of ``PLANNER_SECRET_KEYS``, bound to its advisor and calendar URL
(``shared.secrets``), and announces the advisor again, so the worker stores the new token
as well. Afterwards no stored password needs the older keys.

It also upgrades passwords stored before the binding existed ("legacy": the bare password):
the offers database is the authority on which URL each password was entered for (only
staff write it, nothing on the broker does), so each is bound to the row it is stored in.
The worker refuses legacy ciphertexts, so this runs once after upgrading.
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
from shared.secrets import (
    CalendarPasswordRefused,
    SecretsNotConfigured,
    calendar_password_is_current,
    rebind_calendar_password,
    require_keys,
)
from shared.service import build_context

log = logging.getLogger(__name__)


@dataclass
class RotationResult:
    """What a rotation did: ``rotated`` re-encrypted, ``current`` already under the first
    key and bound to their row, ``unreadable`` advisors whose password none of the keys
    decrypts or that is bound to another advisor or URL (left as they were: enter them again)."""

    rotated: int = 0
    current: int = 0
    unreadable: list[uuid.UUID] = field(default_factory=list)


def rotate_calendar_passwords(session: Session, *, secret_keys: str) -> RotationResult:
    """Re-encrypt every stored calendar password that is not yet under the first of
    ``secret_keys`` and bound to its advisor and URL (a legacy one, see the module), in the
    caller's transaction, and record ``advisor.changed`` in the outbox for each, so the
    worker's copy is replaced too.

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
        advisor_id, url = str(advisor.id), advisor.caldav_url
        try:
            if calendar_password_is_current(token, secret_keys, advisor_id=advisor_id, url=url):
                result.current += 1
                continue
            advisor.caldav_password_encrypted = rebind_calendar_password(
                token, secret_keys, advisor_id=advisor_id, old_url=url, new_url=url
            )
        except (SecretsNotConfigured, CalendarPasswordRefused):
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
