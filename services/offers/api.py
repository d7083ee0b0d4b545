"""Routes of the offers API under /api/v1: parse, check access, call one operation or query, serialise.

Who may call what (issue 9; ``services.offers.access``): every route needs an identity and
is marked with the action it takes. Job centres, closing days, teams, rooms and advisors
are admin data (read / write admin data); starting a calendar sync writes calendars; the
calendar conflicts and group-meeting times read calendars; offers are read and written as
offers; explaining an offer for a citizen reads participants (it uses a CPR number). The
reference lists belong to every centre: reading them needs the read somewhere, replacing
them the write at every centre. A resource of a job centre where the caller holds no role
answers 404, as an unknown id; a role there that may only read answers 403. Lists show only
the caller's centres.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from apiflask import APIBlueprint
from flask import Response, current_app
from sqlalchemy.orm import Session

from services.offers import advisor_operations, operations, queries, reference_admin
from services.offers import schemas as s
from services.offers import schemas_calendar as sc
from services.offers import schemas_eligibility as se
from services.offers import schemas_group_times as sg
from services.offers import schemas_offers as so
from services.offers.access import authorized, readable, scope
from services.offers.calendar_health import AdvisorView, advisor_view, list_conflicts
from services.offers.group_times import GroupMeetingRequest, GroupMeetingTimes, group_meeting_times
from services.offers.models import Advisor, JobCentre, Offer
from services.offers.offer_list import PreparedOfferLists
from services.offers.participants import explain_for_citizen
from shared.auth.access import Action
from shared.auth.web import authorize_everywhere, current_actor, current_route, requires
from shared.service import ServiceContext
from shared.timeutil import utcnow

bp = APIBlueprint("offers", __name__, url_prefix="/api/v1")

CENTRES, TEAMS, ROOMS, ADVISORS, OFFERS = "Jobcentre", "Teams", "Mødelokaler", "Vejledere", "Tilbud"
REFERENCE, CALENDARS = "Referencelister", "Kalendere"
NO_CENTRE, NO_ADVISOR, NO_OFFER = "Jobcentret findes ikke.", "Vejlederen findes ikke.", "Tilbuddet findes ikke."
READ_ADMIN, WRITE_ADMIN = Action.READ_ADMIN_DATA, Action.WRITE_ADMIN_DATA
READ_OFFERS, WRITE_OFFERS = Action.READ_OFFERS, Action.WRITE_OFFERS
READ_CALENDARS, WRITE_CALENDARS = Action.READ_CALENDARS, Action.WRITE_CALENDARS


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
@requires(WRITE_ADMIN)
def create_job_centre(body: dict[str, Any]) -> JobCentre:
    with transaction() as session:
        return operations.create_job_centre(session, body, scope=scope(WRITE_ADMIN))


@bp.get("/job-centres")
@bp.output(s.JobCentreList)
@bp.doc(summary="List job centres", tags=[CENTRES])
@requires(READ_ADMIN)
def list_job_centres() -> dict[str, Any]:
    with transaction() as session:
        return {"items": queries.list_job_centres(session, centres=readable(READ_ADMIN))}


@bp.get("/job-centres/<uuid:job_centre_id>")
@bp.output(s.JobCentreOut)
@bp.doc(summary="Get a job centre with its closing days", tags=[CENTRES])
@requires(READ_ADMIN)
def get_job_centre(job_centre_id: uuid.UUID) -> JobCentre:
    with transaction() as session:
        return authorized(session, JobCentre, job_centre_id, NO_CENTRE, READ_ADMIN)


@bp.patch("/job-centres/<uuid:job_centre_id>")
@bp.input(s.JobCentrePatch, arg_name="body")
@bp.output(s.JobCentreOut)
@bp.doc(summary="Choose the optional closing days (5 June, 24 and 31 December)", tags=[CENTRES])
@requires(WRITE_ADMIN)
def update_job_centre(job_centre_id: uuid.UUID, body: dict[str, Any]) -> JobCentre:
    with transaction() as session:
        centre = authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
        if "closed_optional_days" in body:
            return operations.set_optional_closing_days(session, job_centre_id, body["closed_optional_days"])
        return centre


@bp.post("/job-centres/<uuid:job_centre_id>/closing-days")
@bp.input(s.ClosingDayIn, arg_name="body")
@bp.output(s.ClosingDayOut, status_code=201)
@bp.doc(summary="Add a closing day of the job centre (A-3)", tags=[CENTRES], responses={409: "Already closed"})
@requires(WRITE_ADMIN)
def add_closing_day(job_centre_id: uuid.UUID, body: dict[str, Any]) -> Any:
    with transaction() as session:
        authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
        return operations.add_closing_day(session, job_centre_id, body)


# --- teams and rooms ---------------------------------------------------------------------------------------


@bp.post("/teams")
@bp.input(s.TeamIn, arg_name="body")
@bp.output(s.TeamOut, status_code=201)
@bp.doc(summary="Create a team", tags=[TEAMS])
@requires(WRITE_ADMIN)
def create_team(body: dict[str, Any]) -> Any:
    with transaction() as session:
        return operations.create_team(session, body, scope=scope(WRITE_ADMIN))


@bp.get("/teams")
@bp.input(s.CentreFilter, location="query", arg_name="query")
@bp.output(s.TeamList)
@bp.doc(summary="List teams", tags=[TEAMS])
@requires(READ_ADMIN)
def list_teams(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": queries.list_teams(session, centres=readable(READ_ADMIN), **query)}


@bp.post("/rooms")
@bp.input(s.RoomIn, arg_name="body")
@bp.output(s.RoomOut, status_code=201)
@bp.doc(summary="Create a meeting room", tags=[ROOMS])
@requires(WRITE_ADMIN)
def create_room(body: dict[str, Any]) -> Any:
    with transaction() as session:
        return operations.create_room(session, body, scope=scope(WRITE_ADMIN))


@bp.get("/rooms")
@bp.input(s.CentreFilter, location="query", arg_name="query")
@bp.output(s.RoomList)
@bp.doc(summary="List meeting rooms", tags=[ROOMS])
@requires(READ_ADMIN)
def list_rooms(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": queries.list_rooms(session, centres=readable(READ_ADMIN), **query)}


# --- advisors ------------------------------------------------------------------------------------------------


@bp.post("/advisors")
@bp.input(s.AdvisorIn, arg_name="body")
@bp.output(s.AdvisorOut, status_code=201)
@bp.doc(summary="Create an advisor with calendar and working hours", tags=[ADVISORS])
@requires(WRITE_ADMIN)
def create_advisor(body: dict[str, Any]) -> AdvisorView:
    with transaction() as session:
        keys, check_url = context().settings.secret_keys, context().check_calendar_url
        advisor = advisor_operations.create_advisor(
            session, body, scope=scope(WRITE_ADMIN), secret_keys=keys, check_calendar_url=check_url
        )
        return shown(advisor)


@bp.get("/advisors")
@bp.input(s.AdvisorFilter, location="query", arg_name="query")
@bp.output(s.AdvisorList)
@bp.doc(summary="List advisors", tags=[ADVISORS])
@requires(READ_ADMIN)
def list_advisors(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": [shown(a) for a in queries.list_advisors(session, centres=readable(READ_ADMIN), **query)]}


@bp.get("/advisors/<uuid:advisor_id>")
@bp.output(s.AdvisorOut)
@bp.doc(summary="Get an advisor with its calendar health (never the calendar password)", tags=[ADVISORS])
@requires(READ_ADMIN)
def get_advisor(advisor_id: uuid.UUID) -> AdvisorView:
    with transaction() as session:
        return shown(authorized(session, Advisor, advisor_id, NO_ADVISOR, READ_ADMIN))


@bp.patch("/advisors/<uuid:advisor_id>")
@bp.input(s.AdvisorPatch(partial=True), arg_name="body")
@bp.output(s.AdvisorOut)
@bp.doc(summary="Change an advisor (only the fields given)", tags=[ADVISORS])
@requires(WRITE_ADMIN)
def update_advisor(advisor_id: uuid.UUID, body: dict[str, Any]) -> AdvisorView:
    with transaction() as session:
        authorized(session, Advisor, advisor_id, NO_ADVISOR, WRITE_ADMIN)
        keys, check_url = context().settings.secret_keys, context().check_calendar_url
        advisor = advisor_operations.update_advisor(
            session, advisor_id, body, scope=scope(WRITE_ADMIN), secret_keys=keys, check_calendar_url=check_url
        )
        return shown(advisor)


@bp.post("/advisors/<uuid:advisor_id>/sync")
@bp.output(s.SyncRequested, status_code=202)
@bp.doc(summary="Re-read the advisor's calendar now", tags=[ADVISORS], responses={409: "No calendar"})
@requires(WRITE_CALENDARS)
def request_calendar_sync(advisor_id: uuid.UUID) -> dict[str, Any]:
    with transaction() as session:
        authorized(session, Advisor, advisor_id, NO_ADVISOR, WRITE_CALENDARS)
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
@requires(READ_CALENDARS)
def list_calendar_conflicts(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": list_conflicts(session, centres=readable(READ_CALENDARS), **query)}


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


# --- offers ----------------------------------------------------------------------------------------------------


@bp.post("/offers")
@bp.input(so.OfferIn, arg_name="body")
@bp.output(so.OfferOut, status_code=201)
@bp.doc(summary="Create an individual offer (published to citizens when active and open)", tags=[OFFERS])
@requires(WRITE_OFFERS)
def create_offer(body: dict[str, Any]) -> Offer:
    with transaction() as session:
        return operations.create_offer(session, body, scope=scope(WRITE_OFFERS), staff=current_actor())


@bp.get("/offers")
@bp.input(so.OfferQuery, location="query", arg_name="query")
@bp.output(so.OfferList)
@bp.doc(summary="List offers, filtered and sorted (V-1, V-2)", tags=[OFFERS])
@requires(READ_OFFERS)
def list_offers(query: dict[str, Any]) -> Response:
    lists: PreparedOfferLists = current_app.extensions["offers.lists"]
    body = lists.body(context().db, readable(READ_OFFERS), query)
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/offers/<uuid:offer_id>")
@bp.output(so.OfferOut)
@bp.doc(summary="Get an offer", tags=[OFFERS])
@requires(READ_OFFERS)
def get_offer(offer_id: uuid.UUID) -> Offer:
    with transaction() as session:
        return authorized(session, Offer, offer_id, NO_OFFER, READ_OFFERS)


@bp.patch("/offers/<uuid:offer_id>")
@bp.input(so.OfferPatch(partial=True), arg_name="body")
@bp.output(so.OfferOut)
@bp.doc(summary="Change an offer (only the fields given); active=false hides it (V-5, V-6)", tags=[OFFERS])
@requires(WRITE_OFFERS)
def update_offer(offer_id: uuid.UUID, body: dict[str, Any]) -> Offer:
    with transaction() as session:
        authorized(session, Offer, offer_id, NO_OFFER, WRITE_OFFERS)
        return operations.update_offer(session, offer_id, body, scope=scope(WRITE_OFFERS), staff=current_actor())


@bp.post("/offers/<uuid:offer_id>/explain")
@bp.input(se.ExplainIn, arg_name="body", validation=False)
@bp.output(se.ExplainOut)
@bp.doc(
    summary="Explain to staff whether a citizen may see and book the offer, and which rules fail",
    description="The citizen (with the CPR number) travels in the body, never in the URL; every use of a CPR "
    "number is written to the CPR access log with the signed-in caller as the actor and the route.",
    tags=[OFFERS],
    responses={404: "No such offer", 422: "The citizen's fields are not valid (errors.citizen lists each)"},
)
@requires(Action.READ_PARTICIPANTS)
def explain_offer(offer_id: uuid.UUID, body: Any) -> dict[str, Any]:
    with transaction() as session:
        authorized(session, Offer, offer_id, NO_OFFER, Action.READ_PARTICIPANTS)
        return explain_for_citizen(session, offer_id, body, actor=current_actor(), route=current_route())


# --- reference lists (A-5) ---------------------------------------------------------------------------------


@bp.get("/reference-lists")
@bp.output(se.ReferenceListsOut)
@bp.doc(summary="Every reference list behind the participant rules (A-5)", tags=[REFERENCE])
@requires(READ_ADMIN)
def list_reference_lists() -> dict[str, Any]:
    with transaction() as session:
        return {"items": reference_admin.all_lists_json(session)}


@bp.get("/reference-lists/<kind>")
@bp.output(se.ReferenceListDetail)
@bp.doc(summary="One reference list", tags=[REFERENCE], responses={404: "No such list"})
@requires(READ_ADMIN)
def get_reference_list(kind: str) -> dict[str, Any]:
    with transaction() as session:
        return reference_admin.one_list_json(session, kind)


@bp.put("/reference-lists/<kind>")
@bp.input(se.ReferenceListIn, arg_name="body", validation=False)
@bp.output(se.ReferenceListDetail)
@bp.doc(
    summary="Replace a reference list (reforms): values and aliases, or the person-group markers",
    description="Refused with 409 (naming the offers) when an active offer would lose a value it uses. Keep an old "
    "name as an alias of the new value to rename it: offers using it follow and are announced (offer.changed).",
    tags=[REFERENCE],
    responses={404: "No such list", 409: "A value in use would disappear", 422: "The list is not valid"},
)
@requires(WRITE_ADMIN)
def replace_reference_list(kind: str, body: Any) -> dict[str, Any]:
    authorize_everywhere(WRITE_ADMIN)
    with transaction() as session:
        return reference_admin.replace_reference_list(session, kind, body, staff=current_actor())
