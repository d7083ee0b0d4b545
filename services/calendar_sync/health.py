"""How current each advisor's calendar data is, and telling staff when that changes.

An advisor whose last successful read is older than ``calendar_stale_after_seconds``
(or who was never read) is *stale*: compute withholds their times rather than guessing.
``calendar.health_changed`` goes into the outbox when the stale flag or the error staff
see changes, and otherwise at most once per ``HEALTH_REFRESH`` on success (so staff see
a fresh "last successful sync" without an event per sync).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.calendar_sync.models import AdvisorCalendar, OutboxMessage
from shared.config import Settings
from shared.events import CALENDAR_HEALTH_CHANGED, CalendarHealthPayload
from shared.outbox import record_event

HEALTH_REFRESH = timedelta(hours=1)
DEFAULT_STALE_AFTER_SECONDS = 3600


def stale_after(settings: Settings) -> timedelta:
    return timedelta(seconds=getattr(settings, "calendar_stale_after_seconds", DEFAULT_STALE_AFTER_SECONDS))


def is_stale(advisor: AdvisorCalendar, settings: Settings, now: datetime) -> bool:
    """True when the advisor's calendar was never read, or not within the bound."""
    return advisor.last_success_at is None or now - advisor.last_success_at > stale_after(settings)


def note_health(session: Session, advisor: AdvisorCalendar, settings: Settings, now: datetime) -> bool:
    """Record ``calendar.health_changed`` in ``session`` when the health changed meaningfully
    (or the hourly refresh after a success is due); returns whether an event was recorded."""
    stale = is_stale(advisor, settings, now)
    changed = advisor.health_published_at is None or (stale, advisor.last_error) != (
        advisor.health_stale,
        advisor.health_error,
    )
    refresh_due = (
        advisor.last_success_at == now
        and advisor.health_published_at is not None
        and now - advisor.health_published_at >= HEALTH_REFRESH
    )
    if not (changed or refresh_due):
        return False
    payload = CalendarHealthPayload(
        advisor_id=advisor.advisor_id,
        last_attempt_at=advisor.last_attempt_at,
        last_success_at=advisor.last_success_at,
        last_error=advisor.last_error,
        stale=stale,
        changed_at=now,
    )
    record_event(session, OutboxMessage, payload.envelope(CALENDAR_HEALTH_CHANGED))
    advisor.health_stale, advisor.health_error, advisor.health_published_at = stale, advisor.last_error, now
    return True
