"""Routes of the offers API under /api/v1: parse, call one operation or query, serialise."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from apiflask import APIBlueprint
from flask import current_app
from sqlalchemy.orm import Session

from services.offers import advisor_operations, operations, queries, reference_admin
from services.offers import schemas as s
from services.offers import schemas_calendar as sc
from services.offers import schemas_eligibility as se
from services.offers import schemas_group_times as sg
from services.offers import schemas_offers as so
from services.offers.calendar_health import AdvisorView, advisor_view, list_conflicts
from services.offers.group_times import GroupMeetingRequest, GroupMeetingTimes, group_meeting_times
from services.offers.models import Advisor, JobCentre, Offer
from services.offers.participants import explain_for_citizen
from shared.audit import UNIDENTIFIED_STAFF
from shared.service import ServiceContext
from shared.timeutil import utcnow

bp = APIBlueprint("offers", __name__, url_prefix="/api/v1")

CENTRES, TEAMS, ROOMS, ADVISORS, OFFERS = "Jobcentre", "Teams", "Mødelokaler", "Vejledere", "Tilbud"
REFERENCE, CALENDARS = "Referencelister", "Kalendere"
NO_CENTRE, NO_ADVISOR, NO_OFFER = "Jobcentret findes ikke.", "Vejlederen findes ikke.", "Tilbuddet findes ikke."


def context() -> ServiceContext:
    return current_app.extensions["planner"]  # type: ignore[no-any-return]


def shown(advisor: Advisor) -> AdvisorView:
    """The advisor with its calendar health as of now."""
    stale_after = timedelta(seconds=context().settings.calendar_stale_after_seconds)
    return advisor_view(advisor, now=utcnow(), stale_after=stale_after)


@contextmanager
def transaction() -> Iterator[Session]:
    with context().db.transaction() as session:
        yield session


# --- job centres -------------------------------------------------------------------------------------------


@bp.post("/job-centres")
@bp.input(s.JobCentreIn, arg_name="body")
@bp.output(s.JobCentreOut, status_code=201)
@bp.doc(summary="Create a job centre", tags=[CENTRES], responses={409: "The code is taken"})
def create_job_centre(body: dict[str, Any]) -> JobCentre:
    with transaction() as session:
        return operations.create_job_centre(session, body)


@bp.get("/job-centres")
@bp.output(s.JobCentreList)
@bp.doc(summary="List job centres", tags=[CENTRES])
def list_job_centres() -> dict[str, Any]:
    with transaction() as session:
        return {"items": queries.list_job_centres(session)}


@bp.get("/job-centres/<uuid:job_centre_id>")
@bp.output(s.JobCentreOut)
@bp.doc(summary="Get a job centre with its closing days", tags=[CENTRES])
def get_job_centre(job_centre_id: uuid.UUID) -> JobCentre:
    with transaction() as session:
        return queries.get_or_404(session, JobCentre, job_centre_id, NO_CENTRE)


@bp.patch("/job-centres/<uuid:job_centre_id>")
@bp.input(s.JobCentrePatch, arg_name="body")
@bp.output(s.JobCentreOut)
@bp.doc(summary="Choose the optional closing days (5 June, 24 and 31 December)", tags=[CENTRES])
def update_job_centre(job_centre_id: uuid.UUID, body: dict[str, Any]) -> JobCentre:
    with transaction() as session:
        if "closed_optional_days" in body:
            return operations.set_optional_closing_days(session, job_centre_id, body["closed_optional_days"])
        return queries.get_or_404(session, JobCentre, job_centre_id, NO_CENTRE)


@bp.post("/job-centres/<uuid:job_centre_id>/closing-days")
@bp.input(s.ClosingDayIn, arg_name="body")
@bp.output(s.ClosingDayOut, status_code=201)
@bp.doc(summary="Add a closing day of the job centre (A-3)", tags=[CENTRES], responses={409: "Already closed"})
def add_closing_day(job_centre_id: uuid.UUID, body: dict[str, Any]) -> Any:
    with transaction() as session:
        return operations.add_closing_day(session, job_centre_id, body)


# --- teams and rooms ---------------------------------------------------------------------------------------


@bp.post("/teams")
@bp.input(s.TeamIn, arg_name="body")
@bp.output(s.TeamOut, status_code=201)
@bp.doc(summary="Create a team", tags=[TEAMS])
def create_team(body: dict[str, Any]) -> Any:
    with transaction() as session:
        return operations.create_team(session, body)


@bp.get("/teams")
@bp.input(s.CentreFilter, location="query", arg_name="query")
@bp.output(s.TeamList)
@bp.doc(summary="List teams", tags=[TEAMS])
def list_teams(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": queries.list_teams(session, **query)}


@bp.post("/rooms")
@bp.input(s.RoomIn, arg_name="body")
@bp.output(s.RoomOut, status_code=201)
@bp.doc(summary="Create a meeting room", tags=[ROOMS])
def create_room(body: dict[str, Any]) -> Any:
    with transaction() as session:
        return operations.create_room(session, body)


@bp.get("/rooms")
@bp.input(s.CentreFilter, location="query", arg_name="query")
@bp.output(s.RoomList)
@bp.doc(summary="List meeting rooms", tags=[ROOMS])
def list_rooms(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": queries.list_rooms(session, **query)}


# --- advisors ------------------------------------------------------------------------------------------------


@bp.post("/advisors")
@bp.input(s.AdvisorIn, arg_name="body")
@bp.output(s.AdvisorOut, status_code=201)
@bp.doc(summary="Create an advisor with calendar and working hours", tags=[ADVISORS])
def create_advisor(body: dict[str, Any]) -> AdvisorView:
    with transaction() as session:
        advisor = advisor_operations.create_advisor(
            session, body, secret_keys=context().settings.secret_keys, check_calendar_url=context().check_calendar_url
        )
        return shown(advisor)


@bp.get("/advisors")
@bp.input(s.AdvisorFilter, location="query", arg_name="query")
@bp.output(s.AdvisorList)
@bp.doc(summary="List advisors", tags=[ADVISORS])
def list_advisors(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": [shown(a) for a in queries.list_advisors(session, **query)]}


@bp.get("/advisors/<uuid:advisor_id>")
@bp.output(s.AdvisorOut)
@bp.doc(summary="Get an advisor with its calendar health (never the calendar password)", tags=[ADVISORS])
def get_advisor(advisor_id: uuid.UUID) -> AdvisorView:
    with transaction() as session:
        return shown(queries.get_or_404(session, Advisor, advisor_id, NO_ADVISOR))


@bp.patch("/advisors/<uuid:advisor_id>")
@bp.input(s.AdvisorPatch(partial=True), arg_name="body")
@bp.output(s.AdvisorOut)
@bp.doc(summary="Change an advisor (only the fields given)", tags=[ADVISORS])
def update_advisor(advisor_id: uuid.UUID, body: dict[str, Any]) -> AdvisorView:
    with transaction() as session:
        keys, check_url = context().settings.secret_keys, context().check_calendar_url
        advisor = advisor_operations.update_advisor(
            session, advisor_id, body, secret_keys=keys, check_calendar_url=check_url
        )
        return shown(advisor)


@bp.post("/advisors/<uuid:advisor_id>/sync")
@bp.output(s.SyncRequested, status_code=202)
@bp.doc(summary="Re-read the advisor's calendar now", tags=[ADVISORS], responses={409: "No calendar"})
def request_calendar_sync(advisor_id: uuid.UUID) -> dict[str, Any]:
    with transaction() as session:
        advisor_operations.request_calendar_sync(session, advisor_id)
    return {"advisor_id": advisor_id, "status": "requested"}


@bp.get("/calendar-conflicts")
@bp.input(s.CalendarConflictQuery, location="query", arg_name="query")
@bp.output(sc.CalendarConflictList)
@bp.doc(
    summary="Meetings that an advisor's own calendar now overlaps (open ones unless include_resolved)",
    description="Recorded by the calendar sync; the booking itself is never moved or dropped.",
    tags=[CALENDARS],
)
def list_calendar_conflicts(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": list_conflicts(session, **query)}


@bp.get("/group-meeting-times")
@bp.input(sg.GroupMeetingTimesQuery, location="query", arg_name="query")
@bp.output(sg.GroupMeetingTimesOut)
@bp.doc(
    summary="Times at which all the chosen advisors are free, for adding a group meeting (O-12)",
    description="From the advisors' free time as the calendar sync last read it: working time minus their own "
    "calendars minus booked meetings. No time is offered while one advisor's calendar data is missing or stale.",
    tags=[CALENDARS],
    responses={404: NO_ADVISOR, 422: "Invalid query"},
)
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
        return group_meeting_times(session, request, now=utcnow(), stale_after=stale_after)


# --- offers ----------------------------------------------------------------------------------------------------


@bp.post("/offers")
@bp.input(so.OfferIn, arg_name="body")
@bp.input(s.StaffHeader, location="headers", arg_name="headers")
@bp.output(so.OfferOut, status_code=201)
@bp.doc(summary="Create an individual offer (published to citizens when active and open)", tags=[OFFERS])
def create_offer(body: dict[str, Any], headers: dict[str, Any]) -> Offer:
    with transaction() as session:
        return operations.create_offer(session, body, staff=headers["staff"])


@bp.get("/offers")
@bp.input(so.OfferQuery, location="query", arg_name="query")
@bp.output(so.OfferList)
@bp.doc(summary="List offers, filtered and sorted (V-1, V-2)", tags=[OFFERS])
def list_offers(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": queries.list_offers(session, **query)}


@bp.get("/offers/<uuid:offer_id>")
@bp.output(so.OfferOut)
@bp.doc(summary="Get an offer", tags=[OFFERS])
def get_offer(offer_id: uuid.UUID) -> Offer:
    with transaction() as session:
        return queries.get_or_404(session, Offer, offer_id, NO_OFFER)


@bp.patch("/offers/<uuid:offer_id>")
@bp.input(so.OfferPatch(partial=True), arg_name="body")
@bp.input(s.StaffHeader, location="headers", arg_name="headers")
@bp.output(so.OfferOut)
@bp.doc(summary="Change an offer (only the fields given); active=false hides it (V-5, V-6)", tags=[OFFERS])
def update_offer(offer_id: uuid.UUID, body: dict[str, Any], headers: dict[str, Any]) -> Offer:
    with transaction() as session:
        return operations.update_offer(session, offer_id, body, staff=headers["staff"])


@bp.post("/offers/<uuid:offer_id>/explain")
@bp.input(se.ExplainIn, arg_name="body", validation=False)
@bp.input(s.StaffHeader, location="headers", arg_name="headers")
@bp.output(se.ExplainOut)
@bp.doc(
    summary="Explain to staff whether a citizen may see and book the offer, and which rules fail",
    description="The citizen (with the CPR number) travels in the body, never in the URL; every use of a CPR "
    "number is written to the CPR access log with the X-Planner-Staff header as the actor.",
    tags=[OFFERS],
    responses={404: "No such offer", 422: "The citizen's fields are not valid (errors.citizen lists each)"},
)
def explain_offer(offer_id: uuid.UUID, body: Any, headers: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return explain_for_citizen(session, offer_id, body, actor=headers["staff"] or UNIDENTIFIED_STAFF)


# --- reference lists (A-5) ---------------------------------------------------------------------------------


@bp.get("/reference-lists")
@bp.output(se.ReferenceListsOut)
@bp.doc(summary="Every reference list behind the participant rules (A-5)", tags=[REFERENCE])
def list_reference_lists() -> dict[str, Any]:
    with transaction() as session:
        return {"items": reference_admin.all_lists_json(session)}


@bp.get("/reference-lists/<kind>")
@bp.output(se.ReferenceListDetail)
@bp.doc(summary="One reference list", tags=[REFERENCE], responses={404: "No such list"})
def get_reference_list(kind: str) -> dict[str, Any]:
    with transaction() as session:
        return reference_admin.one_list_json(session, kind)


@bp.put("/reference-lists/<kind>")
@bp.input(se.ReferenceListIn, arg_name="body", validation=False)
@bp.input(s.StaffHeader, location="headers", arg_name="headers")
@bp.output(se.ReferenceListDetail)
@bp.doc(
    summary="Replace a reference list (reforms): values and aliases, or the person-group markers",
    description="Refused with 409 (naming the offers) when an active offer would lose a value it uses. Keep an old "
    "name as an alias of the new value to rename it: offers using it follow and are announced (offer.changed).",
    tags=[REFERENCE],
    responses={404: "No such list", 409: "A value in use would disappear", 422: "The list is not valid"},
)
def replace_reference_list(kind: str, body: Any, headers: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return reference_admin.replace_reference_list(session, kind, body, staff=headers["staff"])
