"""Free times for a group meeting (O-12): the starts at which every advisor chosen for
the meeting is free for its duration plus reporting time.

Built on what the calendar-sync worker announced of each advisor's free time
(``AdvisorFreeTime``; working time minus their own calendar minus booked meetings). No
time is guessed: if one advisor's calendar data is missing or too old, that advisor is
named in ``withheld`` and no start is offered, since the meeting needs all of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.calendars.health import health_of
from services.offers.lookup import centre_ids
from services.offers.models import Advisor, AdvisorFreeTime
from services.offers.offers.fields import start_minutes
from shared.availability import MeetingShape, bookable_starts
from shared.errors import NotFound
from shared.intervals import Interval, intersect, merge
from shared.timeutil import local_midnight, parse_aware, zone

MAX_DAYS = 92
"""The longest stretch of days asked about at once."""


@dataclass(frozen=True)
class GroupMeetingRequest:
    advisor_ids: Sequence[uuid.UUID]
    first_date: date
    last_date: date
    """Both dates inclusive, local dates in ``timezone``."""
    duration_minutes: int
    reporting_minutes: int = 0
    start_minutes: frozenset[int] = frozenset({0, 15, 30, 45})
    timezone: str = "Europe/Copenhagen"
    also_free: tuple[Interval, ...] = ()
    """Time counted as free for every advisor on top of their announced free time: the
    occupation of a meeting being moved (its own old place blocks nothing)."""


@dataclass(frozen=True)
class GroupMeetingTimes:
    window_start: datetime
    window_end: datetime
    starts: list[datetime] = field(default_factory=list)
    duration: timedelta = timedelta(0)
    withheld_advisor_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def times(self) -> list[dict[str, datetime]]:
        return [{"start": start, "end": start + self.duration} for start in self.starts]


def _check(request: GroupMeetingRequest) -> None:
    problems = check.Problems()
    if request.last_date < request.first_date:
        problems.add("last_date", "Slutdatoen må ikke ligge før startdatoen.")
    elif (request.last_date - request.first_date).days >= MAX_DAYS:
        problems.add("last_date", f"Højst {MAX_DAYS} dage ad gangen.")
    start_minutes(problems, sorted(request.start_minutes))
    if not request.advisor_ids:
        problems.add("advisor_id", "Vælg mindst én vejleder.")
    problems.raise_if_any()


def _free(row: AdvisorFreeTime) -> list[Interval]:
    return [Interval(parse_aware(start), parse_aware(end)) for start, end in row.free]


def group_meeting_times(
    session: Session,
    request: GroupMeetingRequest,
    *,
    centres: frozenset[str] | None,
    now: datetime,
    stale_after: timedelta,
) -> GroupMeetingTimes:
    """Every start in the requested days (not before ``now``) where all the advisors are free.

    Only advisors of the job centres ``centres`` (``None``: every centre) are found; any
    other is answered as unknown (404), so another centre's advisors are not revealed.
    """
    _check(request)
    tz = zone(request.timezone)
    ids = list(dict.fromkeys(request.advisor_ids))
    query = select(Advisor).where(Advisor.id.in_(ids))
    if centres is not None:
        query = query.where(Advisor.job_centre_id.in_(centre_ids(centres)))
    advisors = {a.id: a for a in session.scalars(query)}
    missing = [advisor_id for advisor_id in ids if advisor_id not in advisors]
    if missing:
        raise NotFound("Vejlederen findes ikke.", extra={"advisor_ids": [str(a) for a in missing]})
    duration = timedelta(minutes=request.duration_minutes)
    start = max(now, local_midnight(request.first_date, tz))
    end = local_midnight(request.last_date + timedelta(days=1), tz)
    if start >= end:  # the days are over
        return GroupMeetingTimes(now, now, duration=duration)
    window = Interval(start, end)
    local_start, local_end = window.start.astimezone(tz), window.end.astimezone(tz)
    query = select(AdvisorFreeTime).where(AdvisorFreeTime.advisor_id.in_(ids))
    rows = {row.advisor_id: row for row in session.scalars(query)}
    withheld = [
        advisor_id
        for advisor_id in ids
        if (row := rows.get(advisor_id)) is None
        or row.stale
        or health_of(advisors[advisor_id], now=now, stale_after=stale_after).stale
    ]
    if withheld:
        return GroupMeetingTimes(local_start, local_end, duration=duration, withheld_advisor_ids=withheld)
    common = [window]
    for advisor_id in ids:
        common = intersect(common, merge([*_free(rows[advisor_id]), *request.also_free]))
    shape = MeetingShape(
        duration=duration, reporting=timedelta(minutes=request.reporting_minutes), start_minutes=request.start_minutes
    )
    starts = bookable_starts(window=window, working=common, busy=[], booked=[], shape=shape, tz=tz)
    return GroupMeetingTimes(local_start, local_end, starts=starts, duration=duration)
