"""The staff's pages of a group offer's meetings (fællesmøder, O-12, V-7): the offer page's
"Møder" section, "Tilføj møde" (a day, then one of the times when every advisor is free,
and the seats), and the meeting's page: who has a seat (asked of booking), "Tilføj borger"
(``participant_pages``), "Ret mødet" (its seats) and "Aflys mødet". They call the
operations of ``meetings.api``: there is no second path to a write."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from services.offers.access import authorized
from services.offers.blueprint import NO_OFFER, WRITE_OFFERS, editor, stale_after, transaction
from services.offers.calendars.group_times import GroupMeetingRequest, group_meeting_times
from services.offers.meetings import operations
from services.offers.meetings.add_citizen import CitizenForm
from services.offers.models import Advisor, GroupMeeting, Offer, Room
from services.offers.participants.view import booking_api, meeting_section, waiting_section
from services.offers.staff_site import error_links, field_errors, staff_blueprint, staff_page
from shared import formatting as fmt
from shared.auth.access import Action
from shared.auth.web import may_at, requires
from shared.availability import ALLOWED_START_MINUTES
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.pages import page_locale, page_text
from shared.timeutil import today_in, utcnow, zone

bp = staff_blueprint("meeting_pages", __name__, url_prefix="/tilbud")

SAVED = {
    "moede-tilfoejet": lazy_gettext("Mødet er tilføjet og skrives i vejledernes kalendere."),
    "moede-gemt": lazy_gettext("Mødet er gemt."),
    "moede-aflyst": lazy_gettext("Mødet er aflyst. Borgerne med en plads får besked, og pladserne er frigivet."),
    "borger-tilfoejet": lazy_gettext("Borgeren har fået en plads."),
}
ROOM, NUMBER = "lokalet", "antal"


def meeting_rows(session: Any, offer: Offer, timezone: str) -> list[dict[str, Any]]:
    """The offer page's table of meetings, by start."""
    room = session.get(Room, offer.room_id) if offer.room_id else None
    rows = []
    for meeting in offer.meetings:
        seats = operations.meeting_seats(meeting, room)
        start = meeting.starts_at.astimezone(zone(timezone))
        end = start + timedelta(minutes=offer.duration_minutes)
        rows.append({
            "id": meeting.id, "when": fmt.when(start, end, page_locale()), "seats": seats,
            "room_capacity": meeting.seats is None, "extra": meeting.extra_seats, "taken": meeting.taken,
            "free": max(0, seats - meeting.taken), "cancelled": meeting.cancelled_at is not None,
            "past": meeting.starts_at <= utcnow(),
        })  # fmt: skip
    return rows


def group_offer(session: Any, offer_id: uuid.UUID, action: Action = WRITE_OFFERS) -> Offer:
    """The group offer ``offer_id`` if the person may ``action`` at its centre (else NotFound
    or Forbidden); Conflict for an individual offer."""
    offer = authorized(session, Offer, offer_id, NO_OFFER, action)
    if offer.meeting_form != "group":
        raise Conflict(gettext("Tilbuddet er en individuel samtale; kun fællesmøder har møder."))
    return offer


def _back(offer_id: uuid.UUID, message: str) -> Response:
    target = url_for("offer_pages.offer_page", offer_id=offer_id, besked=message) + "#moeder"
    return redirect(target, 303)  # type: ignore[return-value]


def _day(text: str, first: date) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return first
    return max(day, first)


def _seat_form(form: dict[str, str]) -> dict[str, Any]:
    """The seats part of a meeting's form as the operation's input; a number stays text when
    it is not one, for the operation to refuse at its field."""
    seats, extra = form.get("seats", ""), form.get("extra_seats", "").strip()
    number = int(seats) if seats.isdigit() else seats
    return {
        "seats": number if form.get("seats_from") == NUMBER else None,
        "extra_seats": int(extra) if extra.isdigit() else extra or 0,
    }


@bp.route("/<uuid:offer_id>/moeder/nyt", methods=["GET", "POST"])
@requires(WRITE_OFFERS)
def new_meeting(offer_id: uuid.UUID) -> Response:
    """Tilføj møde: the free starts of one day (GET ``dag``), then the chosen start and seats."""
    form = {key: request.values.get(key, "").strip()[:40] for key in ("dag", "start", "seats_from", "seats",
                                                                        "extra_seats")}  # fmt: skip
    with transaction() as session:
        offer = group_offer(session, offer_id)
        timezone = offer.job_centre.timezone
        first = today_in(zone(timezone)) + timedelta(days=1)
        day = _day(form["dag"], first)
        request_ = GroupMeetingRequest(
            advisor_ids=offer.advisor_ids, first_date=day, last_date=day, duration_minutes=offer.duration_minutes,
            reporting_minutes=offer.reporting_minutes, start_minutes=frozenset(ALLOWED_START_MINUTES),
            timezone=timezone,
        )  # fmt: skip
        times = group_meeting_times(session, request_, centres=None, now=utcnow(), stale_after=stale_after())
        room = session.get(Room, offer.room_id) if offer.room_id else None
        names = select(Advisor.name).where(Advisor.id.in_(times.withheld_advisor_ids)).order_by(Advisor.name)
        withheld = ", ".join(session.scalars(names))
        values = {"offer": offer, "room": room, "day": day, "first": first, "withheld": withheld,
                  "starts": [(s.isoformat(), fmt.clock(s.astimezone(zone(timezone)), page_locale()))
                             for s in times.starts]}  # fmt: skip
    if not form["seats_from"]:
        form["seats_from"] = ROOM if room else NUMBER
    if request.method == "GET":
        return _new_page(form, values)
    body = {"start": form["start"], **_seat_form(form)}
    try:
        with transaction() as session:
            group_offer(session, offer_id)
            operations.add_meeting(session, offer_id, body, editor=editor(), stale_after=stale_after())
    except ValidationFailed as exc:
        return _new_page(form, values, field_errors(exc, "start"), 422)
    return _back(offer_id, "moede-tilfoejet")


def _new_page(
    form: dict[str, str], values: dict[str, Any], errors: dict[str, list[str]] | None = None, status: int = 200
) -> Response:
    errors = errors or {}
    return staff_page(
        "meetings/new_meeting.html", status, form=form, errors=errors, error_links=error_links(errors),
        day_text=fmt.long_date(values["day"], page_locale()), seat_choices=_seat_choices(values["room"]), **values,
    )  # fmt: skip


def _seat_choices(room: Room | None) -> list[tuple[str, str]]:
    choices = [(NUMBER, gettext("Et bestemt antal pladser"))]
    if room is not None:
        label = gettext("Lokalets pladser: %(seats)s (%(room)s)", seats=room.capacity, room=room.name)
        choices.insert(0, (ROOM, label))
    return choices


def meeting_of(offer: Offer, meeting_id: uuid.UUID) -> GroupMeeting:
    """The offer's meeting ``meeting_id``; NotFound for another's or an unknown one."""
    found = next((m for m in offer.meetings if m.id == meeting_id), None)
    if found is None:
        raise NotFound(gettext("Mødet findes ikke."))
    return found


def _seats_now(meeting: GroupMeeting) -> dict[str, str]:
    return {
        "seats_from": ROOM if meeting.seats is None else NUMBER,
        "seats": "" if meeting.seats is None else str(meeting.seats),
        "extra_seats": str(meeting.extra_seats),
    }


def meeting_page_response(
    offer_id: uuid.UUID,
    meeting_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    citizen: CitizenForm | None = None,
    reveal: uuid.UUID | None = None,
    status: int = 200,
) -> Response:
    """The meeting's page: its participants (``reveal``: the booking whose CPR number to show),
    "Tilføj borger" (``citizen``: the form as sent), its seats (``form`` as sent, with its
    ``errors``; else the meeting's) and "Aflys mødet"."""
    with transaction() as session:
        offer = group_offer(session, offer_id)
        meeting = meeting_of(offer, meeting_id)
        room = session.get(Room, offer.room_id) if offer.room_id else None
        timezone, code = offer.job_centre.timezone, offer.job_centre.code
        start = meeting.starts_at.astimezone(zone(timezone))
        seats = operations.meeting_seats(meeting, room)
        values = {
            "offer": offer, "meeting": meeting, "room": room, "seat_choices": _seat_choices(room),
            "when": fmt.when(start, start + timedelta(minutes=offer.duration_minutes), page_locale()),
            "cancelled": meeting.cancelled_at is not None, "seats": seats,
        }  # fmt: skip
        form, taken = form or _seats_now(meeting), meeting.taken
    participants = meeting_section(offer_id, meeting_id, code, timezone, reveal=reveal)
    waiting = waiting_section(offer_id, meeting_id, code, timezone)
    if participants.state == "shown":  # booking's list now, rather than its last count heard of
        taken = len(participants.rows)
    citizen = citizen or CitizenForm()
    errors = {**(errors or {}), **citizen.errors}
    return staff_page(
        "meetings/meeting.html", status, form=form, errors=errors, error_links=error_links(errors), citizen=citizen,
        participants=participants, waiting=waiting, taken=taken, full=taken >= seats, may_add=booking_api() is not None,
        saved=SAVED.get(request.args.get("besked", "")), **values,
    )  # fmt: skip


@bp.route("/<uuid:offer_id>/moeder/<uuid:meeting_id>", methods=["GET", "POST"])
@requires(WRITE_OFFERS)
def meeting_page(offer_id: uuid.UUID, meeting_id: uuid.UUID) -> Response:
    """The meeting (V-7): who has a seat, "Tilføj borger", "Ret mødet" (its seats: the room's,
    or a number, and extra seats; the POST) and "Aflys mødet"."""
    if request.method == "GET":
        return meeting_page_response(offer_id, meeting_id)
    form = {key: request.form.get(key, "").strip()[:40] for key in ("seats_from", "seats", "extra_seats")}
    try:
        with transaction() as session:
            group_offer(session, offer_id)
            operations.change_meeting(
                session, offer_id, meeting_id, _seat_form(form), editor=editor(), stale_after=stale_after()
            )
    except ValidationFailed as exc:
        return meeting_page_response(offer_id, meeting_id, form=form, errors=field_errors(exc, "seats"), status=422)
    except Conflict as exc:
        return meeting_page_response(offer_id, meeting_id, form=form, errors={"seats": [page_text(exc.detail)]},
                                     status=409)  # fmt: skip
    return _back(offer_id, "moede-gemt")


@bp.post("/<uuid:offer_id>/moeder/<uuid:meeting_id>/aflys")
@requires(WRITE_OFFERS)
def cancel_meeting(offer_id: uuid.UUID, meeting_id: uuid.UUID) -> Response:
    """Aflys mødet: the same operation as ``POST /api/v1/offers/{id}/meetings/{meeting_id}/cancel``."""
    with transaction() as session:
        group_offer(session, offer_id)
        operations.cancel_meeting(session, offer_id, meeting_id, editor=editor())
    return _back(offer_id, "moede-aflyst")


def may_plan(code: str) -> bool:
    """Whether the person may add and change the meetings of an offer of the centre ``code``."""
    return may_at(WRITE_OFFERS, code)
