"""What staff see of the calendars: each advisor's calendar health and the conflicts
between advisors' own calendars and booked meetings (issue 3, points 4 and 5).

Both are filled by ``services.offers.consumer`` from the calendar-sync worker's events.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers.lookup import centre_ids
from services.offers.models import Advisor, CalendarConflict

HealthStatus = Literal["ok", "stale", "error", "unknown"]


@dataclass(frozen=True)
class CalendarHealth:
    """How current an advisor's calendar data is.

    ``status``: "unknown" until the worker reported a successful read or an error; "stale"
    when the worker withdrew the advisor's times, or the last successful read is older than
    ``stale_after`` (also when the worker has stopped reporting); "error" when the last read
    failed but the data is still recent enough; "ok" otherwise.
    """

    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    stale: bool
    status: HealthStatus


def health_of(advisor: Advisor, *, now: datetime, stale_after: timedelta) -> CalendarHealth:
    """The calendar health of ``advisor`` as seen at ``now``."""
    success = advisor.calendar_last_success_at
    stale = bool(advisor.calendar_stale) or (success is not None and now - success > stale_after)
    status: HealthStatus
    if advisor.calendar_health_changed_at is None:
        status = "unknown"
    elif stale:
        status = "stale"
    elif advisor.calendar_last_error:
        status = "error"
    elif success is not None:
        status = "ok"
    else:
        status = "unknown"
    return CalendarHealth(
        last_attempt_at=advisor.calendar_last_attempt_at,
        last_success_at=success,
        last_error=advisor.calendar_last_error,
        stale=stale,
        status=status,
    )


class AdvisorView:
    """An advisor as the API shows it: its columns plus ``calendar_health``."""

    def __init__(self, advisor: Advisor, calendar_health: CalendarHealth):
        self._advisor = advisor
        self.calendar_health = calendar_health

    def __getattr__(self, name: str) -> Any:
        return getattr(self._advisor, name)


def advisor_view(advisor: Advisor, *, now: datetime, stale_after: timedelta) -> AdvisorView:
    return AdvisorView(advisor, health_of(advisor, now=now, stale_after=stale_after))


def list_conflicts(
    session: Session,
    *,
    centres: frozenset[str] | None,
    advisor_id: uuid.UUID | None = None,
    include_resolved: bool = False,
) -> Sequence[CalendarConflict]:
    """Conflicts, earliest meeting first; only the open ones unless ``include_resolved``;
    only those of advisors of the job centres ``centres`` (``None``: every centre)."""
    query = select(CalendarConflict)
    if centres is not None:
        advisors = select(Advisor.id).where(Advisor.job_centre_id.in_(centre_ids(centres)))
        query = query.where(CalendarConflict.advisor_id.in_(advisors))
    if advisor_id is not None:
        query = query.where(CalendarConflict.advisor_id == advisor_id)
    if not include_resolved:
        query = query.where(CalendarConflict.resolved_at.is_(None))
    return session.scalars(query.order_by(CalendarConflict.start_at, CalendarConflict.booking_id)).all()
