"""The staff's conflicts page: each booked meeting that an advisor's own calendar now
overlaps, with the offer, the time, the advisor and the citizen's name and e-mail (asked of
booking), and "Markér som håndteret". The booking is never moved by the system."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from services.offers.access import authorized, readable
from services.offers.blueprint import READ_CALENDARS, WRITE_CALENDARS, editor, transaction
from services.offers.calendars.handling import NO_CONFLICT, mark_handled
from services.offers.calendars.health import list_conflicts
from services.offers.models import Advisor, CalendarConflict, GroupMeeting, JobCentre, Offer, OfferAdvisor
from services.offers.offers import views
from services.offers.participants.booking_api import BookedMeetingInfo, ParticipantsUnavailable
from services.offers.participants.view import booking_api, may_see_participants
from services.offers.staff_site import staff_blueprint, staff_page
from shared import formatting as fmt
from shared.auth.web import job_centres_allowed, requires
from shared.errors import NotFound
from shared.events import group_event_id
from shared.pages import page_locale
from shared.timeutil import utcnow, zone

bp = staff_blueprint("calendar_pages", __name__, url_prefix="/kalenderkonflikter")


def _citizens(conflicts: list[CalendarConflict]) -> tuple[dict[uuid.UUID, BookedMeetingInfo], bool]:
    """The bookings of the conflicts as booking knows them, and whether booking answered."""
    api = booking_api()
    if api is None:
        return {}, False
    try:
        return {m.booking_id: m for m in api.meetings({c.booking_id for c in conflicts})}, True
    except ParticipantsUnavailable:
        return {}, False


@bp.get("")
@requires(READ_CALENDARS)
def conflicts() -> Response:
    """Kalenderkonflikter: the open ones (``vis=alle``: also handled and resolved ones)."""
    everything = request.args.get("vis") == "alle"
    with transaction() as session:
        found = [
            c for c in list_conflicts(session, centres=readable(READ_CALENDARS), include_resolved=everything)
            if everything or c.handled_at is None
        ]  # fmt: skip
        advisors = {
            a.id: a for a in session.scalars(select(Advisor).where(Advisor.id.in_({c.advisor_id for c in found})))
        }
        centres = {c.id: c for c in session.scalars(select(JobCentre))}
        meetings, answered = _citizens(found)
        groups = _group_meetings(session, found)
        offer_ids = {m.offer_id for m in meetings.values()} | set(groups.values())
        offers = dict(session.execute(select(Offer.id, Offer.name).where(Offer.id.in_(offer_ids))).all())
    allowed = job_centres_allowed(WRITE_CALENDARS)
    rows = []
    for conflict in found:
        advisor = advisors.get(conflict.advisor_id)
        centre = centres.get(advisor.job_centre_id) if advisor else None
        timezone = centre.timezone if centre else "Europe/Copenhagen"
        meeting = meetings.get(conflict.booking_id)
        start, end = conflict.start_at.astimezone(zone(timezone)), conflict.end_at.astimezone(zone(timezone))
        code = centre.code if centre else ""
        row = _row(conflict, advisor, meeting, offers, fmt.when(start, end, page_locale()), timezone, code, allowed)
        if conflict.booking_id in groups:  # a group meeting: the offer's page lists its citizens
            row |= {"offer_id": groups[conflict.booking_id], "offer": offers.get(groups[conflict.booking_id], "–"),
                    "citizen": gettext("Fællesmøde")}  # fmt: skip
        rows.append(row)
    return staff_page("calendars/conflicts.html", rows=rows, everything=everything, answered=answered)


def _group_meetings(session: Any, conflicts: list[CalendarConflict]) -> dict[uuid.UUID, uuid.UUID]:
    """The conflicts over group meetings: the worker's id of the meeting in the advisor's
    calendar (``group_event_id``) to the meeting's offer."""
    advisors = {c.advisor_id for c in conflicts}
    query = (
        select(GroupMeeting.id, GroupMeeting.offer_id, OfferAdvisor.advisor_id)
        .join(OfferAdvisor, OfferAdvisor.offer_id == GroupMeeting.offer_id)
        .where(OfferAdvisor.advisor_id.in_(advisors))
    )
    found = {uuid.UUID(group_event_id(str(m), str(a))): offer for m, offer, a in session.execute(query)}
    return {c.booking_id: found[c.booking_id] for c in conflicts if c.booking_id in found}


def _row(
    conflict: CalendarConflict,
    advisor: Advisor | None,
    meeting: BookedMeetingInfo | None,
    offers: dict[uuid.UUID, str],
    when: str,
    timezone: str,
    code: str,
    allowed: frozenset[str] | None,
) -> dict[str, Any]:
    shown = meeting is not None and may_see_participants(code)
    return {
        "booking_id": conflict.booking_id,
        "offer_id": meeting.offer_id if meeting else None,
        "offer": offers.get(meeting.offer_id, "–") if meeting else "–",
        "when": when,
        "advisor": advisor.name if advisor else "–",
        "citizen": (meeting.name or "–") if shown and meeting else "–",
        "email": meeting.email if shown and meeting else None,
        "reference": meeting.reference if meeting else None,
        "detected": views.local_time(conflict.detected_at, timezone),
        "resolved": conflict.resolved_at is not None,
        "handled": conflict.handled_at is not None,
        "handled_by": conflict.handled_by_name,
        "may_handle": allowed is None or code in allowed,
    }


@bp.post("/<uuid:booking_id>/haandteret")
@requires(WRITE_CALENDARS)
def handled(booking_id: uuid.UUID) -> Response:
    """Markér som håndteret: gone from the list of open conflicts, with who and when."""
    with transaction() as session:
        conflict = session.get(CalendarConflict, booking_id)
        if conflict is None:
            raise NotFound(NO_CONFLICT)
        authorized(session, Advisor, conflict.advisor_id, NO_CONFLICT, WRITE_CALENDARS)
        mark_handled(session, booking_id, editor(), utcnow())
    return redirect(url_for(".conflicts", besked="haandteret"), 303)  # type: ignore[return-value]
