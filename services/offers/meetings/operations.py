"""The writes of a group offer's meetings (fællesmøder, O-12, V-7), each in the caller's
transaction: add a meeting, move it or change its seats, cancel it.

A meeting starts at a time when every advisor of the offer is free for its duration plus
reporting time (``calendars.group_times``, from the free time the calendar worker
announced) and that no other meeting of theirs takes. Its seats are the room's capacity or
an explicit number, plus extra seats kept for citizens who rebook. Each change is a line of
the offer's revision log and announces the offer again (``offer.changed``, with every
meeting), so booking and the calendar worker follow. The route has checked the caller's
right to change the offer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.offers import validation as check
from services.offers.calendars.group_times import GroupMeetingRequest, group_meeting_times
from services.offers.events import announce_offer
from services.offers.lookup import get_or_404
from services.offers.models import Advisor, GroupMeeting, Offer, OfferAdvisor, Room
from services.offers.offers.revisions import Editor, record_meeting_change
from shared import events as ev
from shared import formatting as fmt
from shared.availability import ALLOWED_START_MINUTES
from shared.errors import Conflict, NotFound
from shared.intervals import Interval
from shared.timeutil import parse_aware, utcnow, zone

MEETING_FIELDS = frozenset(("start", "seats", "extra_seats"))
MOST_SEATS = 10_000
NO_MEETING = "Mødet findes ikke."
EXAMPLE = "2027-01-12T10:00:00+01:00"


def meeting_seats(meeting: GroupMeeting, room: Room | None) -> int:
    """How many citizens the meeting holds (without its extra seats): its explicit number,
    else the room's capacity."""
    if meeting.seats is not None:
        return meeting.seats
    return room.capacity if room is not None else 0


def meeting_values(meeting: GroupMeeting, room: Room | None) -> dict[str, Any]:
    """A meeting as its revision log line shows it."""
    return {
        "start": meeting.starts_at.isoformat(),
        "seats": meeting_seats(meeting, room),
        "room_capacity": meeting.seats is None,
        "extra_seats": meeting.extra_seats,
        "cancelled": meeting.cancelled_at is not None,
    }


def meeting_json(offer: Offer, meeting: GroupMeeting, room: Room | None) -> dict[str, Any]:
    """A meeting as the API shows it."""
    return {
        "id": meeting.id,
        "offer_id": offer.id,
        "start": meeting.starts_at,
        "end": meeting.starts_at + timedelta(minutes=offer.duration_minutes),
        "seats": meeting_seats(meeting, room),
        "room_capacity": meeting.seats is None,
        "extra_seats": meeting.extra_seats,
        "cancelled_at": meeting.cancelled_at,
        "created_at": meeting.created_at,
        "updated_at": meeting.updated_at,
    }


def meetings_json(session: Session, offer: Offer) -> list[dict[str, Any]]:
    """The offer's meetings by start, cancelled ones too."""
    room = session.get(Room, offer.room_id) if offer.room_id else None
    return [meeting_json(offer, meeting, room) for meeting in offer.meetings]


def _group_offer(session: Session, offer_id: uuid.UUID) -> Offer:
    offer = get_or_404(session, Offer, offer_id, "Tilbuddet findes ikke.", lock=True)
    if offer.meeting_form != "group":
        raise Conflict("Tilbuddet er en individuel samtale; kun fællesmøder har møder.", code="not_a_group_offer")
    return offer


def _meeting(offer: Offer, meeting_id: uuid.UUID) -> GroupMeeting:
    found = next((m for m in offer.meetings if m.id == meeting_id), None)
    if found is None:
        raise NotFound(NO_MEETING, code="meeting_unknown")
    return found


def _occupation(offer: Offer, start: datetime) -> Interval:
    return Interval(start, start + timedelta(minutes=offer.duration_minutes + offer.reporting_minutes))


def _start(problems: check.Problems, value: Any, now: datetime) -> datetime | None:
    if value is None or value == "":
        problems.add("start", check.REQUIRED)
        return None
    try:
        start = parse_aware(str(value), "start")
    except ValueError:
        problems.add("start", f"Angiv starttidspunktet som dato og klokkeslæt med tidszone, fx {EXAMPLE}.")
        return None
    if start <= now:
        problems.add("start", "Mødet skal ligge ude i fremtiden.")
        return None
    return start


def _seats(problems: check.Problems, data: Mapping[str, Any], room: Room | None, default: int | None) -> int | None:
    """The explicit number of seats, or None for the room's capacity (which needs a room)."""
    if "seats" not in data:
        seats = default
    else:
        seats = check.integer(problems, "seats", data["seats"], minimum=1, message="Et møde skal have mindst 1 plads.")
    if seats is not None and seats > MOST_SEATS:
        problems.add("seats", f"Højst {MOST_SEATS} pladser.")
    if seats is None and room is None and "seats" not in problems:
        problems.add("seats", "Tilbuddet har intet mødelokale; angiv antallet af pladser.")
    return seats


def _extra(problems: check.Problems, data: Mapping[str, Any], default: int) -> int:
    if "extra_seats" not in data or data["extra_seats"] is None:
        return default
    extra = check.integer(
        problems, "extra_seats", data["extra_seats"], minimum=0, message="Ekstrapladserne kan ikke være negative."
    )
    if extra is not None and extra > MOST_SEATS:
        problems.add("extra_seats", f"Højst {MOST_SEATS} ekstrapladser.")
    return extra if extra is not None else default


def _advisors_free(
    problems: check.Problems,
    session: Session,
    offer: Offer,
    start: datetime,
    moving: GroupMeeting | None,
    *,
    now: datetime,
    stale_after: timedelta,
) -> None:
    """A problem at ``start`` unless every advisor of the offer is free then (their announced
    free time; the meeting being moved does not block itself) and no other meeting of theirs
    overlaps it."""
    tz = zone(offer.job_centre.timezone)
    day = start.astimezone(tz).date()
    own = (_occupation(offer, moving.starts_at),) if moving is not None and moving.cancelled_at is None else ()
    request = GroupMeetingRequest(
        advisor_ids=offer.advisor_ids, first_date=day, last_date=day, duration_minutes=offer.duration_minutes,
        reporting_minutes=offer.reporting_minutes, start_minutes=frozenset(ALLOWED_START_MINUTES),
        timezone=offer.job_centre.timezone, also_free=own,
    )  # fmt: skip
    times = group_meeting_times(session, request, centres=None, now=now, stale_after=stale_after)
    if times.withheld_advisor_ids:
        names = _names(session, times.withheld_advisor_ids)
        problems.add("start", f"Kalenderen er ikke læst for nylig for: {names}. Prøv igen, når den er læst.")
        return
    if start not in times.starts:
        problems.add("start", "Ikke alle tilbuddets vejledere er ledige da. Vælg en af de ledige tider.")
        return
    taken = _other_meeting_over(session, offer, _occupation(offer, start), moving)
    if taken is not None:
        other, advisor = taken
        problems.add(
            "start",
            f"{advisor} har allerede fællesmødet {other.name} på det tidspunkt. Vælg en anden tid.",
        )


def _names(session: Session, advisor_ids: list[uuid.UUID]) -> str:
    found = dict(session.execute(select(Advisor.id, Advisor.name).where(Advisor.id.in_(advisor_ids))).all())
    return ", ".join(found.get(a, str(a)) for a in advisor_ids)


def _other_meeting_over(
    session: Session, offer: Offer, occupation: Interval, moving: GroupMeeting | None
) -> tuple[Offer, str] | None:
    """Another meeting, of any group offer, that one of the offer's advisors is at during
    ``occupation`` (before the worker has taken it out of their free time)."""
    advisors = set(offer.advisor_ids)
    sharing = select(OfferAdvisor.offer_id).where(OfferAdvisor.advisor_id.in_(advisors))
    query = (
        select(GroupMeeting, Offer)
        .join(Offer, Offer.id == GroupMeeting.offer_id)
        .where(GroupMeeting.offer_id.in_(sharing), GroupMeeting.cancelled_at.is_(None))
        .where(GroupMeeting.starts_at < occupation.end)
    )
    for meeting, other in session.execute(query):
        if moving is not None and meeting.id == moving.id:
            continue
        if _occupation(other, meeting.starts_at).end <= occupation.start:
            continue
        shared = next(a for a in other.advisor_ids if a in advisors)
        return other, _names(session, [shared])
    return None


def add_meeting(
    session: Session,
    offer_id: uuid.UUID,
    data: Mapping[str, Any],
    *,
    editor: Editor,
    stale_after: timedelta,
    now: datetime | None = None,
) -> GroupMeeting:
    """Add a meeting (``start``; ``seats``: a number, or absent/None for the room's capacity;
    ``extra_seats``, default 0) to a group offer, and announce the offer."""
    now = now or utcnow()
    offer = _group_offer(session, offer_id)
    room = session.get(Room, offer.room_id) if offer.room_id else None
    problems = check.Problems()
    for key in sorted(set(data) - MEETING_FIELDS):
        problems.add(key, "Ukendt felt.")
    start = _start(problems, data.get("start"), now)
    seats = _seats(problems, data, room, None)
    extra = _extra(problems, data, 0)
    if start is not None:
        _advisors_free(problems, session, offer, start, None, now=now, stale_after=stale_after)
    problems.raise_if_any()
    assert start is not None
    meeting = GroupMeeting(offer_id=offer.id, starts_at=start, seats=seats, extra_seats=extra, created_at=now,
                           updated_at=now)  # fmt: skip
    offer.meetings.append(meeting)
    session.flush()
    record_meeting_change(session, offer, None, meeting_values(meeting, room), editor, now)
    _announce(session, offer, editor, now)
    return meeting


def change_meeting(
    session: Session,
    offer_id: uuid.UUID,
    meeting_id: uuid.UUID,
    data: Mapping[str, Any],
    *,
    editor: Editor,
    stale_after: timedelta,
    now: datetime | None = None,
) -> GroupMeeting:
    """Move a meeting (``start``) or change its seats (``seats``: a number, or None for the
    room's capacity; ``extra_seats``); a cancelled meeting cannot be changed."""
    now = now or utcnow()
    offer = _group_offer(session, offer_id)
    meeting = _meeting(offer, meeting_id)
    if meeting.cancelled_at is not None:
        raise Conflict("Mødet er aflyst og kan ikke ændres.", code="meeting_cancelled")
    room = session.get(Room, offer.room_id) if offer.room_id else None
    before = meeting_values(meeting, room)
    problems = check.Problems()
    for key in sorted(set(data) - MEETING_FIELDS):
        problems.add(key, "Ukendt felt.")
    start = _start(problems, data["start"], now) if "start" in data else meeting.starts_at
    seats = _seats(problems, data, room, meeting.seats)
    extra = _extra(problems, data, meeting.extra_seats)
    if start is not None and start != meeting.starts_at:
        _advisors_free(problems, session, offer, start, meeting, now=now, stale_after=stale_after)
    held = (seats if seats is not None else meeting_seats(meeting, room) if room is None else room.capacity) + extra
    if "seats" not in problems and "extra_seats" not in problems and held < meeting.taken:
        problems.add(
            "seats",
            f"{meeting.taken} borgere har allerede booket en plads. Mødet kan ikke have færre pladser end det "
            "(ekstrapladserne medregnet).",
        )
    problems.raise_if_any()
    assert start is not None
    meeting.starts_at, meeting.seats, meeting.extra_seats = start, seats, extra
    after = meeting_values(meeting, room)
    if after != before:
        meeting.updated_at = now
        record_meeting_change(session, offer, before, after, editor, now)
        _announce(session, offer, editor, now)
    return meeting


def cancel_meeting(
    session: Session, offer_id: uuid.UUID, meeting_id: uuid.UUID, *, editor: Editor, now: datetime | None = None
) -> GroupMeeting:
    """Cancel a meeting: it leaves the citizens' choices and the advisors' calendars; its row
    stays. Cancelling it again changes nothing."""
    now = now or utcnow()
    offer = _group_offer(session, offer_id)
    meeting = _meeting(offer, meeting_id)
    if meeting.cancelled_at is not None:
        return meeting
    room = session.get(Room, offer.room_id) if offer.room_id else None
    before = meeting_values(meeting, room)
    meeting.cancelled_at = meeting.updated_at = now
    record_meeting_change(session, offer, before, meeting_values(meeting, room), editor, now)
    _announce(session, offer, editor, now)
    return meeting


def _following_room(session: Session, room: Room, now: datetime) -> list[tuple[Offer, GroupMeeting]]:
    """The coming meetings, not cancelled, whose seats are the room's capacity."""
    offers = session.scalars(
        select(Offer).where(Offer.room_id == room.id, Offer.meeting_form == "group").order_by(Offer.id)
    ).all()
    return [
        (offer, meeting)
        for offer in offers
        for meeting in offer.meetings
        if meeting.seats is None and meeting.cancelled_at is None and meeting.starts_at > now
    ]


def room_capacity_problem(session: Session, room: Room, capacity: int, now: datetime | None = None) -> str | None:
    """Why the room cannot hold only ``capacity``: a coming meeting that follows the room's
    capacity has more citizens booked than that (its extra seats counted); else None."""
    now = now or utcnow()
    for offer, meeting in _following_room(session, room, now):
        if meeting.taken > capacity + meeting.extra_seats:
            when = fmt.long_date(meeting.starts_at.astimezone(zone(offer.job_centre.timezone)).date())
            return (
                f"{meeting.taken} borgere har booket mødet {when} i {offer.name}, der bruger lokalets pladser. "
                "Lokalet kan ikke have færre pladser end det (mødets ekstrapladser medregnet)."
            )
    return None


def follow_room_capacity(
    session: Session, room: Room, old_capacity: int, *, editor: Editor, now: datetime | None = None
) -> list[Offer]:
    """After the room's capacity changed: each group offer with coming meetings that use the
    room's capacity logs the new seats of each and is announced again, so citizens are
    offered the seats there are (booking counts them; the calendar events say them)."""
    now = now or utcnow()
    changed: dict[uuid.UUID, Offer] = {}
    for offer, meeting in _following_room(session, room, now):
        after = meeting_values(meeting, room)
        record_meeting_change(session, offer, after | {"seats": old_capacity}, after, editor, now)
        changed[offer.id] = offer
    for offer in changed.values():
        _announce(session, offer, editor, now)
    return list(changed.values())


def _announce(session: Session, offer: Offer, editor: Editor, now: datetime) -> None:
    offer.updated_at, offer.updated_by = now, editor.actor
    session.flush()
    announce_offer(session, offer, ev.OFFER_CHANGED)
