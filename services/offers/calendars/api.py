"""JSON routes of the calendars: conflicts between advisors' own calendars and booked
meetings, and the times at which chosen advisors are all free (O-12)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.offers.access import readable
from services.offers.blueprint import CALENDARS, NO_ADVISOR, READ_CALENDARS, bp, context, transaction
from services.offers.calendars import schemas as sc
from services.offers.calendars.group_times import GroupMeetingRequest, GroupMeetingTimes, group_meeting_times
from services.offers.calendars.health import list_conflicts
from shared.auth.web import requires
from shared.timeutil import utcnow


@bp.get("/calendar-conflicts")
@bp.input(sc.CalendarConflictQuery, location="query", arg_name="query")
@bp.output(sc.CalendarConflictList)
@bp.doc(
    summary="Meetings that an advisor's own calendar now overlaps (open ones unless include_resolved)",
    description="Recorded by the calendar sync; the booking itself is never moved or dropped.",
    tags=[CALENDARS],
)
@requires(READ_CALENDARS)
def list_calendar_conflicts(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": list_conflicts(session, centres=readable(READ_CALENDARS), **query)}


@bp.get("/group-meeting-times")
@bp.input(sc.GroupMeetingTimesQuery, location="query", arg_name="query")
@bp.output(sc.GroupMeetingTimesOut)
@bp.doc(
    summary="Times at which all the chosen advisors are free, for adding a group meeting (O-12)",
    description="From the advisors' free time as the calendar sync last read it: working time minus their own "
    "calendars minus booked meetings. No time is offered while one advisor's calendar data is missing or stale.",
    tags=[CALENDARS],
    responses={404: NO_ADVISOR, 422: "Invalid query"},
)
@requires(READ_CALENDARS)
def list_group_meeting_times(query: dict[str, Any]) -> GroupMeetingTimes:
    settings = context().settings
    request = GroupMeetingRequest(
        advisor_ids=query["advisor_id"],
        first_date=query["first_date"],
        last_date=query["last_date"],
        duration_minutes=query["duration_minutes"],
        reporting_minutes=query["reporting_minutes"],
        start_minutes=frozenset(query["start_minutes"]),
        timezone=settings.timezone,
    )
    stale_after = timedelta(seconds=settings.calendar_stale_after_seconds)
    with transaction() as session:
        centres = readable(READ_CALENDARS)
        return group_meeting_times(session, request, centres=centres, now=utcnow(), stale_after=stale_after)
