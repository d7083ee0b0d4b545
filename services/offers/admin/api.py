"""JSON routes of the admin data: job centres and closing days (A-1, A-3), teams, rooms and
advisors with their calendars (and a calendar re-read on request)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.offers.access import authorized, readable, scope
from services.offers.admin import advisors, conversation_types, operations, queries, teams_rooms, variants
from services.offers.admin import schemas as s
from services.offers.blueprint import (
    ADVISORS,
    CENTRES,
    NO_ADVISOR,
    NO_CENTRE,
    NO_ROOM,
    NO_TEAM,
    READ_ADMIN,
    REFERENCE,
    ROOMS,
    TEAMS,
    WRITE_ADMIN,
    WRITE_CALENDARS,
    bp,
    context,
    editor,
    stale_after,
    transaction,
)
from services.offers.calendars.health import AdvisorView, advisor_view
from services.offers.models import Advisor, JobCentre, Room, Team
from shared.auth.web import authorize_everywhere, requires
from shared.errors import NotFound
from shared.timeutil import utcnow


def shown(advisor: Advisor) -> AdvisorView:
    """The advisor with its calendar health as of now."""
    return advisor_view(advisor, now=utcnow(), stale_after=stale_after())


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


@bp.delete("/job-centres/<uuid:job_centre_id>/closing-days/<day>")
@bp.output({}, status_code=204)
@bp.doc(
    summary="Remove a closing day of the job centre (A-3)",
    description="The day is given as YYYY-MM-DD; the advisors work that day again.",
    tags=[CENTRES],
    responses={404: "The centre has no closing day then"},
)
@requires(WRITE_ADMIN)
def remove_closing_day(job_centre_id: uuid.UUID, day: str) -> Any:
    with transaction() as session:
        authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
        operations.remove_closing_day(session, job_centre_id, closing_date(day))
    return ""


@bp.get("/job-centres/<uuid:job_centre_id>/conversation-variants")
@bp.output(s.VariantList)
@bp.doc(summary="The job centre's conversation type variants (A-2)", tags=[CENTRES])
@requires(READ_ADMIN)
def list_variants(job_centre_id: uuid.UUID) -> dict[str, Any]:
    with transaction() as session:
        authorized(session, JobCentre, job_centre_id, NO_CENTRE, READ_ADMIN)
        return {"items": variants.variants_of(session, job_centre_id)}


@bp.post("/job-centres/<uuid:job_centre_id>/conversation-variants")
@bp.input(s.VariantIn, arg_name="body")
@bp.output(s.VariantOut, status_code=201)
@bp.doc(
    summary="Add a conversation type variant to the job centre's list (A-2)",
    tags=[CENTRES],
    responses={409: "The centre has the variant"},
)
@requires(WRITE_ADMIN)
def add_variant(job_centre_id: uuid.UUID, body: dict[str, Any]) -> Any:
    with transaction() as session:
        authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
        return variants.add_variant(session, job_centre_id, body)


@bp.delete("/job-centres/<uuid:job_centre_id>/conversation-variants/<uuid:variant_id>")
@bp.output({}, status_code=204)
@bp.doc(
    summary="Remove a conversation type variant from the job centre's list",
    description="Offers that name it keep it until they are changed.",
    tags=[CENTRES],
    responses={404: "The centre has no such variant"},
)
@requires(WRITE_ADMIN)
def remove_variant(job_centre_id: uuid.UUID, variant_id: uuid.UUID) -> Any:
    with transaction() as session:
        authorized(session, JobCentre, job_centre_id, NO_CENTRE, WRITE_ADMIN)
        variants.remove_variant(session, job_centre_id, variant_id)
    return ""


# --- conversation types: one list for every job centre --------------------------------------------------


@bp.get("/conversation-types")
@bp.output(s.ConversationTypeList)
@bp.doc(
    summary="The conversation types (A-2), retired ones too, with how many offers have each",
    tags=[REFERENCE],
)
@requires(READ_ADMIN)
def list_conversation_types() -> dict[str, Any]:
    with transaction() as session:
        return {"items": conversation_types.all_types_json(session)}


@bp.put("/conversation-types/<int:code>")
@bp.input(s.ConversationTypeIn, arg_name="body")
@bp.output(s.ConversationTypeOut)
@bp.doc(
    summary="Rename, retire or add a conversation type by its code (1 to 999)",
    description="Only for those who write admin data at every job centre. A retired type is not chosen for new "
    "offers or variants; the offers that have it keep it. A code is never deleted.",
    tags=[REFERENCE],
    responses={404: "The code is not from 1 to 999", 422: "The name is missing, too long or another type's"},
)
@requires(WRITE_ADMIN)
def put_conversation_type(code: int, body: dict[str, Any]) -> dict[str, Any]:
    authorize_everywhere(WRITE_ADMIN)
    with transaction() as session:
        row, _created = conversation_types.put_conversation_type(session, code, body, editor=editor())
        return conversation_types.conversation_type_json(row, conversation_types.offers_per_type(session).get(code, 0))


def closing_date(text: str) -> date:
    """The closing day a path names, as YYYY-MM-DD (anything else: a 404 in Danish)."""
    return path_date(text, "Lukkedagen findes ikke (skriv datoen som ÅÅÅÅ-MM-DD).", "closing_day_unknown")


def path_date(text: str, message: str, code: str) -> date:
    """The date a path names, as YYYY-MM-DD; anything else is a 404 with ``message``."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise NotFound(message, code=code)


# --- teams and rooms ---------------------------------------------------------------------------------------


@bp.post("/teams")
@bp.input(s.TeamIn, arg_name="body")
@bp.output(s.TeamOut, status_code=201)
@bp.doc(summary="Create a team", tags=[TEAMS])
@requires(WRITE_ADMIN)
def create_team(body: dict[str, Any]) -> Any:
    with transaction() as session:
        return teams_rooms.create_team(session, body, scope=scope(WRITE_ADMIN))


@bp.get("/teams")
@bp.input(s.CentreFilter, location="query", arg_name="query")
@bp.output(s.TeamList)
@bp.doc(summary="List teams", tags=[TEAMS])
@requires(READ_ADMIN)
def list_teams(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": queries.list_teams(session, centres=readable(READ_ADMIN), **query)}


@bp.patch("/teams/<uuid:team_id>")
@bp.input(s.TeamPatch(partial=True), arg_name="body")
@bp.output(s.TeamOut)
@bp.doc(
    summary="Change a team (only the fields given)",
    description="Phone offers that were called from the team's number follow a new number.",
    tags=[TEAMS],
)
@requires(WRITE_ADMIN)
def update_team(team_id: uuid.UUID, body: dict[str, Any]) -> Team:
    with transaction() as session:
        authorized(session, Team, team_id, NO_TEAM, WRITE_ADMIN)
        return teams_rooms.update_team(session, team_id, body, editor=editor())[0]


@bp.post("/rooms")
@bp.input(s.RoomIn, arg_name="body")
@bp.output(s.RoomOut, status_code=201)
@bp.doc(summary="Create a meeting room", tags=[ROOMS])
@requires(WRITE_ADMIN)
def create_room(body: dict[str, Any]) -> Any:
    with transaction() as session:
        return teams_rooms.create_room(session, body, scope=scope(WRITE_ADMIN))


@bp.get("/rooms")
@bp.input(s.CentreFilter, location="query", arg_name="query")
@bp.output(s.RoomList)
@bp.doc(summary="List meeting rooms", tags=[ROOMS])
@requires(READ_ADMIN)
def list_rooms(query: dict[str, Any]) -> dict[str, Any]:
    with transaction() as session:
        return {"items": queries.list_rooms(session, centres=readable(READ_ADMIN), **query)}


@bp.patch("/rooms/<uuid:room_id>")
@bp.input(s.RoomPatch(partial=True), arg_name="body")
@bp.output(s.RoomOut)
@bp.doc(
    summary="Change a meeting room (only the fields given)",
    description="In-person offers in the room whose place was its address follow a new address.",
    tags=[ROOMS],
)
@requires(WRITE_ADMIN)
def update_room(room_id: uuid.UUID, body: dict[str, Any]) -> Room:
    with transaction() as session:
        authorized(session, Room, room_id, NO_ROOM, WRITE_ADMIN)
        return teams_rooms.update_room(session, room_id, body, editor=editor())[0]


# --- advisors ------------------------------------------------------------------------------------------------


@bp.post("/advisors")
@bp.input(s.AdvisorIn, arg_name="body")
@bp.output(s.AdvisorOut, status_code=201)
@bp.doc(summary="Create an advisor with calendar and working hours", tags=[ADVISORS])
@requires(WRITE_ADMIN)
def create_advisor(body: dict[str, Any]) -> AdvisorView:
    with transaction() as session:
        keys, check_url = context().settings.secret_keys, context().check_calendar_url
        advisor = advisors.create_advisor(
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
        advisor = advisors.update_advisor(
            session,
            advisor_id,
            body,
            scope=scope(WRITE_ADMIN),
            secret_keys=keys,
            check_calendar_url=check_url,
            editor=editor(),
        )
        return shown(advisor)


@bp.post("/advisors/<uuid:advisor_id>/sync")
@bp.output(s.SyncRequested, status_code=202)
@bp.doc(summary="Re-read the advisor's calendar now", tags=[ADVISORS], responses={409: "No calendar"})
@requires(WRITE_CALENDARS)
def request_calendar_sync(advisor_id: uuid.UUID) -> dict[str, Any]:
    with transaction() as session:
        authorized(session, Advisor, advisor_id, NO_ADVISOR, WRITE_CALENDARS)
        advisors.request_calendar_sync(session, advisor_id)
    return {"advisor_id": advisor_id, "status": "requested"}
