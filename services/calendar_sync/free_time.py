"""Each advisor's free time, for staff who place group meetings (O-12).

Free time = working time (without holidays, closed days, with date exceptions) minus the
advisor's own calendar minus their booked meetings in every offer, from now to the end of
the window their calendar was read for. The worker announces it in
``advisor.free_time_changed`` whenever it changed; the offers service keeps the latest
and offers staff the times when all of a group meeting's advisors are free, without
asking the worker (or the calendar servers) while staff wait.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from services.calendar_sync.busy_cache import BUSY_CACHE
from services.calendar_sync.compute import advisor_booked, advisor_working_time
from services.calendar_sync.health import is_stale
from services.calendar_sync.models import AdvisorCalendar
from shared.config import Settings
from shared.events import AdvisorFreeTimePayload, TimeSpan
from shared.intervals import Interval, subtract
from shared.timeutil import zone


def advisor_free_time(
    session: Session, settings: Settings, advisor_id: str, now: datetime
) -> AdvisorFreeTimePayload | None:
    """The advisor's free time as of ``now``; None for an advisor the worker does not know.
    An advisor whose calendar data is missing or too old gets no free time (``stale``)."""
    advisor = session.get(AdvisorCalendar, advisor_id)
    if advisor is None:
        return None
    synced = advisor.synced_window
    window = Interval(max(now, synced.start), synced.end) if synced is not None and synced.end > now else None
    if window is None or is_stale(advisor, settings, now):
        return AdvisorFreeTimePayload(
            advisor_id=advisor_id, computed_at=now, window_start=now, window_end=now, free=[], stale=True
        )
    tz = zone(advisor.timezone)
    working = [piece for piece in (i.clip(window) for i in advisor_working_time(advisor, window)) if piece]
    taken = itertools.chain(BUSY_CACHE.busy(session, advisor), advisor_booked(session, advisor_id, window))
    return AdvisorFreeTimePayload(
        advisor_id=advisor_id,
        computed_at=now,
        window_start=window.start,
        window_end=window.end,
        free=[TimeSpan(start=i.start.astimezone(tz), end=i.end.astimezone(tz)) for i in subtract(working, taken)],
    )
